from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Please enter your email."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Please enter your password."),
                                                     Length(max=200)])
    next = HiddenField()
