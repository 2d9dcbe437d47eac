"""From the bytes of an uploaded file, or pasted text, to numbered paragraphs of plain text.

The type is detected from the content (magic bytes), never trusted from the name; a name
that claims another type is refused. Every format goes through a well-kept library (pypdf,
python-docx, BeautifulSoup, markdown-it-py) behind limits on pages, archive sizes and the
extracted text, so a hostile file costs bounded time and memory. Any failure is a
DocumentError whose message is meant for the person who uploaded the file.
"""

import dataclasses
import io
import logging
import re
import zipfile
from pathlib import PurePath

from django.conf import settings

log = logging.getLogger("tracker.library")

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    media_type: str
    label: str


KINDS = {
    k.name: k
    for k in (
        Kind("pdf", "application/pdf", "PDF"),
        Kind("docx", DOCX_MEDIA_TYPE, "Word document (DOCX)"),
        Kind("html", "text/html", "HTML page"),
        Kind("markdown", "text/markdown", "Markdown"),
        Kind("text", "text/plain", "plain text"),
    )
}
EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
TEXT_KINDS = {"html", "markdown", "text"}
SUPPORTED = "a PDF, a Word document (.docx), an HTML page, Markdown or plain text"
# Other binary formats people try, recognised to say what they are.
OTHER_MAGIC = {
    b"\xd0\xcf\x11\xe0": "an old-format (.doc) or password-protected Office file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
# Boilerplate of a saved web page: never part of the readable text.
BOILERPLATE_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "dialog",
]
BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu"}
BLOCK_TAGS = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "div",
    "section",
    "article",
    "main",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "tr",
    "table",
    "ul",
    "ol",
    "dl",
    "hr",
]
PDF_PARAGRAPH_END = re.compile(r"[.!?:;][\"”’')\]]*$")


class DocumentError(Exception):
    """The file cannot become a source's text; the message says why, for its uploader."""


@dataclasses.dataclass(frozen=True)
class Paragraph:
    text: str
    page: int | None = None


@dataclasses.dataclass
class Document:
    kind: Kind
    paragraphs: list[Paragraph]

    @property
    def text(self):
        return "\n\n".join(p.text for p in self.paragraphs)


def limits():
    return {
        "bytes": settings.TRACKER_SOURCE_MAX_BYTES,
        "pages": settings.TRACKER_SOURCE_MAX_PAGES,
        "chars": settings.TRACKER_SOURCE_MAX_TEXT_CHARS,
        "unzipped": settings.TRACKER_SOURCE_MAX_UNZIPPED_BYTES,
    }


def megabytes(n):
    return f"{n / 1_000_000:g} MB"


def clean_paragraph(text):
    return " ".join(CONTROL_CHARS.sub("", text).split())


def paragraphs_of(chunks, page=None):
    """Non-empty cleaned paragraphs of `chunks`, each on `page`."""
    return [Paragraph(t, page) for t in map(clean_paragraph, chunks) if t]


def split_plain(text):
    """Paragraphs of plain text: separated by blank lines."""
    return re.split(r"\n[ \t\f\v\r]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))


def detect(data):
    """What the bytes are: a key of KINDS, "zip", or a description of an unsupported type."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    for magic, description in OTHER_MAGIC.items():
        if data.startswith(magic):
            return description
    head = data[:2048].lstrip().lower()
    if head.startswith((b"\xef\xbb\xbf<", b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return "html"
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "a binary file"
    return "text"


def decode_text(data):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("The file is not readable text: save it as UTF-8 and try again.")


def resolve_kind(data, filename):
    """The kind of `data`, refusing a name that claims a different type."""
    found = detect(data)
    suffix = PurePath(filename or "").suffix.lower()
    claimed = EXTENSIONS.get(suffix)
    if suffix and claimed is None:
        raise DocumentError(f"“{suffix}” files are not supported: upload {SUPPORTED}.")
    if found == "zip":
        if not is_docx(data):
            raise DocumentError(
                "The file is a ZIP archive, not a Word document: upload the .docx itself."
            )
        found = "docx"
    if found not in KINDS:
        raise DocumentError(f"The file is {found}, which is not supported: upload {SUPPORTED}.")
    if claimed and claimed != found and not (claimed in TEXT_KINDS and found in TEXT_KINDS):
        raise DocumentError(
            f"The file is named “{PurePath(filename).name}” but its content is "
            f"{article(KINDS[found].label)}, not {article(KINDS[claimed].label)}."
        )
    if found == "text" and claimed in ("markdown", "html"):
        found = claimed
    return KINDS[found]


def article(label):
    if label == "plain text":
        return label
    return ("an " if label[0] in "AEIHOU" else "a ") + label


def extract(data, filename=""):
    """Bytes → Document, or DocumentError. `filename` only helps say what the file claims."""
    if not data:
        raise DocumentError("The file is empty.")
    if len(data) > limits()["bytes"]:
        raise DocumentError(
            f"The file is {megabytes(len(data))}; the limit is {megabytes(limits()['bytes'])}."
        )
    kind = resolve_kind(data, filename)
    reader = {"pdf": pdf_paragraphs, "docx": docx_paragraphs}.get(kind.name)
    try:
        if reader:
            paragraphs = reader(data)
        else:
            paragraphs = text_paragraphs(decode_text(data) if kind.name != "html" else data, kind)
    except DocumentError:
        raise
    except Exception:  # a damaged file can fail anywhere inside a parser
        log.warning("could not read an uploaded %s", kind.name, exc_info=True)
        raise DocumentError(
            f"The file could not be read as {article(kind.label)}: it looks damaged. "
            "Paste the text instead."
        ) from None
    return finish(Document(kind, paragraphs))


def from_text(text):
    """Pasted text → Document (plain text)."""
    return finish(Document(KINDS["text"], text_paragraphs(text, KINDS["text"])))


def finish(document):
    if not document.paragraphs:
        if document.kind.name == "pdf":
            raise DocumentError(
                "No text could be extracted from this PDF (it may be a scan without a text "
                "layer): paste the text instead."
            )
        raise DocumentError("The document has no text.")
    check_length(sum(len(p.text) + 2 for p in document.paragraphs))
    return document


def check_length(chars):
    if chars > limits()["chars"]:
        raise DocumentError(
            f"The document's text is longer than {limits()['chars']:,} characters, the limit."
        )


def text_paragraphs(content, kind):
    if kind.name == "text":
        check_length(len(content))
        return paragraphs_of(split_plain(content))
    if kind.name == "markdown":
        check_length(len(content))
        from markdown_it import MarkdownIt

        html = MarkdownIt("commonmark", {"html": False}).render(content)
        return html_paragraphs(html, strip_boilerplate=False)
    return html_paragraphs(content)


def html_paragraphs(content, *, strip_boilerplate=True):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "html.parser")
    if strip_boilerplate:
        for tag in soup.find_all(BOILERPLATE_TAGS):
            tag.decompose()
        for tag in soup.find_all(attrs={"role": True}):
            if not tag.decomposed and tag.get("role") in BOILERPLATE_ROLES:
                tag.decompose()
        for tag in soup.find_all(attrs={"hidden": True}):
            if not tag.decomposed:
                tag.decompose()
        for tag in soup.find_all(attrs={"aria-hidden": "true"}):
            if not tag.decomposed:
                tag.decompose()
    for tag in soup.find_all(["head", "title"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for br in root.find_all("br"):
        br.replace_with("\n")
    for tag in root.find_all(BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = root.get_text()
    check_length(len(text))
    return paragraphs_of(re.split(r"\n\s*\n", text))


def pdf_paragraphs(data):
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise DocumentError(
            "The PDF is encrypted (password-protected): save it without protection, or paste "
            "the text instead."
        )
    if len(reader.pages) > limits()["pages"]:
        raise DocumentError(
            f"The PDF has {len(reader.pages):,} pages; the limit is {limits()['pages']:,}."
        )
    paragraphs, total = [], 0
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        total += len(text)
        check_length(total)
        paragraphs += paragraphs_of(pdf_page_chunks(text), page=number)
    return paragraphs


def pdf_page_chunks(text):
    """A PDF page's lines joined into paragraphs: a blank line or a sentence end closes one."""
    chunks, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if current:
                chunks.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
        if PDF_PARAGRAPH_END.search(stripped):
            chunks.append(" ".join(current))
            current = []
    if current:
        chunks.append(" ".join(current))
    return chunks


def is_docx(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def check_archive(data):
    """A DOCX is a ZIP: refuse one that would unpack to far more than it weighs."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > 2000:
            raise DocumentError("The Word document holds too many parts to be read safely.")
        unzipped = sum(m.file_size for m in members)
        if unzipped > limits()["unzipped"]:
            raise DocumentError(
                f"The Word document would unpack to {megabytes(unzipped)}; the limit is "
                f"{megabytes(limits()['unzipped'])}. It may be a decompression bomb."
            )


def docx_paragraphs(data):
    import docx
    from docx.table import Table

    check_archive(data)
    document = docx.Document(io.BytesIO(data))
    chunks = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    chunks += [p.text for p in cell.paragraphs]
        else:
            chunks.append(block.text)
        check_length(sum(map(len, chunks)))
    return paragraphs_of(chunks)
