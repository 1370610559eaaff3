"""The owner's home page."""
from flask import render_template

from . import bp


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html")
