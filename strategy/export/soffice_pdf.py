"""DOCX → PDF with LibreOffice, the contents filled with page numbers.

Run as a script by the Python that has LibreOffice's ``uno`` module (on Debian, the system
``/usr/bin/python3`` with ``python3-uno``), never imported by the app:

    python3 soffice_pdf.py SOFFICE IN.docx OUT.pdf PROFILE_DIR

The document is opened hidden, every index and field is updated (twice: the first update may
move pages) and the PDF is written. (The draft's contents uses PAGEREF fields, which a plain
``soffice --convert-to pdf`` computes too; a TOC field it would leave as the file had it.)
PROFILE_DIR is a fresh LibreOffice profile, so parallel renders never share one. The exit status is 0 on success; a message goes to stderr otherwise."""
import os
import subprocess
import sys
import time
import uuid

import uno  # noqa: I001  (LibreOffice's bridge; only this script uses it)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

CONNECT_SECONDS = 60


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def render(soffice, source, target, profile):
    pipe = "strategy-" + uuid.uuid4().hex
    office = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nolockcheck", f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
         f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    desktop = None
    try:
        context = connect(pipe)
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0,
            (prop("Hidden", True), prop("ReadOnly", True)))
        for _round in range(2):
            indexes = document.getDocumentIndexes()
            for index in range(indexes.getCount()):
                indexes.getByIndex(index).update()
            document.getTextFields().refresh()
        document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(target)),
                            (prop("FilterName", "writer_pdf_Export"),))
        document.close(True)
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:  # the bridge drops as the office quits: that is the goal
                pass
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    try:
        render(*sys.argv[1:])
    except Exception as error:  # reported to the caller, which shows a Russian message
        sys.exit(f"{type(error).__name__}: {error}")
