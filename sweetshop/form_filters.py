"""WTForms filters shared by every form: tidy what people type before it is validated."""


def strip(value):
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """Runs of spaces and line breaks become one space (names, search terms)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def no_spaces(value):
    return "".join(value.split()) if isinstance(value, str) else value
