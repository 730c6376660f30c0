"""Where a form may send the person back to: only a path of this site."""
from flask import request


def is_local_path(target: str) -> bool:
    """'/events/1' yes; 'https://evil', '//evil' (a protocol-relative URL) and '' no."""
    return target.startswith("/") and not target.startswith("//") and "\\" not in target


def safe_next(default: str) -> str:
    """The form's or the query's ``next`` if it is a local path, else ``default``."""
    target = request.form.get("next") or request.args.get("next") or ""
    return target if is_local_path(target) else default
