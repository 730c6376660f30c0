"""The strategy draft as PDF, rendered from the DOCX by LibreOffice where it is installed.

LibreOffice runs in its own process with a fresh profile per render (so parallel downloads
never share one) and a time limit. The preferred path runs ``soffice_pdf.py`` with the Python
that has LibreOffice's ``uno`` bridge, which updates every field and index before writing;
where only ``soffice`` is there, a plain conversion is used (the contents' PAGEREF fields and
the page numbers are computed by it as well). Without LibreOffice the PDF is refused with a
Russian message."""
from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from flask import current_app
from flask_babel import gettext as _

from strategy.core.errors import OperationError

RENDER_SCRIPT = Path(__file__).with_name("soffice_pdf.py")
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
TIMEOUT_SECONDS = 180


def soffice_path() -> Optional[str]:
    """LibreOffice's command: the SOFFICE setting, else soffice or libreoffice on PATH."""
    configured = current_app.config.get("SOFFICE")
    if configured is not None:
        return configured or None  # SOFFICE = "" switches the PDF off
    return shutil.which("soffice") or shutil.which("libreoffice")


@functools.lru_cache(maxsize=8)
def uno_python(candidates: tuple[str, ...] = UNO_PYTHONS) -> Optional[str]:
    """The first Python that can import LibreOffice's uno bridge (looked up once)."""
    for python in candidates:
        if not Path(python).exists():
            continue
        try:
            subprocess.run([python, "-c", "import uno"], check=True, timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        return python
    return None


def pdf_available() -> bool:
    return soffice_path() is not None


def unavailable_message() -> str:
    return _("PDF не сформирован: на сервере не установлен LibreOffice. Скачайте DOCX или "
             "попросите администратора установить пакет libreoffice-writer-nogui.")


def docx_to_pdf(content: bytes) -> bytes:
    """The PDF of a DOCX; OperationError (503) when LibreOffice is missing or fails."""
    soffice = soffice_path()
    if soffice is None:
        raise OperationError(unavailable_message(), 503)
    with tempfile.TemporaryDirectory(prefix="strategy-pdf-") as folder:
        work = Path(folder)
        source, target = work / "draft.docx", work / "draft.pdf"
        source.write_bytes(content)
        python = uno_python()
        if python is not None:
            command = [python, str(RENDER_SCRIPT), soffice, str(source), str(target),
                       str(work / "profile")]
        else:
            command = [soffice, "--headless", "--norestore", "--nolockcheck",
                       f"-env:UserInstallation={(work / 'profile').as_uri()}",
                       "--convert-to", "pdf", "--outdir", str(work), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS,
                                  cwd=work)
        except (OSError, subprocess.TimeoutExpired) as error:
            current_app.logger.warning("PDF rendering failed: %s", error)
            raise OperationError(render_failed_message(), 503)
        if done.returncode != 0 or not target.exists():
            current_app.logger.warning("PDF rendering failed (%s): %s", done.returncode,
                                       done.stderr.decode("utf-8", "replace")[-500:])
            raise OperationError(render_failed_message(), 503)
        return target.read_bytes()


def render_failed_message() -> str:
    return _("PDF не удалось сформировать: LibreOffice не ответил вовремя или завершился с "
             "ошибкой. Скачайте DOCX или попробуйте ещё раз через минуту.")
