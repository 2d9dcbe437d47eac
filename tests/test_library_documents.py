"""Documents into text: every supported format, and every kind of bad input refused clearly."""

import io
import zipfile

import pypdf
import pytest

from tests import factories
from tracker.library import extract
from tracker.library.extract import DocumentError


def texts(document):
    return [p.text for p in document.paragraphs]


def test_plain_text_is_split_into_paragraphs_at_blank_lines_with_whitespace_collapsed():
    document = extract.extract(b"First  line\nwraps here.\r\n\r\nSecond.\n \n\n\tThird.", "a.txt")
    assert document.kind.media_type == "text/plain"
    assert texts(document) == ["First line wraps here.", "Second.", "Third."]
    assert document.text == "First line wraps here.\n\nSecond.\n\nThird."


def test_pasted_text_keeps_typographic_characters_and_drops_control_characters():
    document = extract.from_text("It’s “restored” — 2023.\x00\x07\n\nNext")
    assert texts(document) == ["It’s “restored” — 2023.", "Next"]


def test_a_latin_1_file_is_read_and_a_utf_16_one_too():
    assert texts(extract.extract("Café déjà vu".encode("cp1252"), "a.txt")) == ["Café déjà vu"]
    assert texts(extract.extract("Grüße".encode("utf-16"), "a.txt")) == ["Grüße"]


def test_markdown_is_read_as_its_text_without_markup():
    document = extract.extract(
        b"# Heading\n\nSome *emphasis* and a [link](http://x).\n\n- one", "a.md"
    )
    assert document.kind.media_type == "text/markdown"
    assert texts(document) == ["Heading", "Some emphasis and a link.", "one"]


def test_a_saved_web_page_keeps_its_readable_text_and_drops_navigation_and_scripts():
    page = b"""<!doctype html><html><head><title>Site title</title><style>p{}</style></head>
    <body><header>Site banner</header><nav><a href="/">Home</a> | <a>About</a></nav>
    <div role="navigation">Breadcrumbs</div>
    <main><h1>The statement</h1><p>First <b>bold</b> paragraph,<br>same paragraph.</p>
    <script>alert(1)</script><p>Second paragraph.</p><aside>Related stories</aside></main>
    <footer>Copyright</footer></body></html>"""
    document = extract.extract(page, "saved.html")
    assert document.kind.media_type == "text/html"
    assert texts(document) == [
        "The statement",
        "First bold paragraph, same paragraph.",
        "Second paragraph.",
    ]


def test_a_pdf_text_layer_is_read_page_by_page_with_lines_joined_into_paragraphs():
    data = factories.make_pdf(
        [["The first sentence runs", "over two lines.", "A second one."], ["Page two (here)."]]
    )
    document = extract.extract(data, "report.pdf")
    assert document.kind.media_type == "application/pdf"
    assert [(p.text, p.page) for p in document.paragraphs] == [
        ("The first sentence runs over two lines.", 1),
        ("A second one.", 1),
        ("Page two (here).", 2),
    ]


def test_a_docx_is_read_with_its_paragraphs_and_tables():
    data = factories.make_docx(["First paragraph.", "", "Second “quoted” one."], [["Cell", "Two"]])
    document = extract.extract(data, "minutes.docx")
    assert document.kind.name == "docx"
    assert texts(document) == ["First paragraph.", "Second “quoted” one.", "Cell", "Two"]


def test_the_type_comes_from_the_content_not_the_name():
    assert extract.extract(factories.make_pdf([["Hi."]]), "").kind.name == "pdf"
    assert extract.extract(b"<html><body><p>Hi</p></body></html>", "notes.txt").kind.name == "html"


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"", "a.txt", "The file is empty."),
        (b"   \n\n  ", "a.txt", "The document has no text."),
        (b"plain words", "a.pdf", "is named “a.pdf” but its content is plain text, not a PDF"),
        (b"plain words", "a.docx", "not a Word document (DOCX)"),
        (b"\x89PNG\r\n\x1a\n....", "a.png", "“.png” files are not supported"),
        (b"\x89PNG\r\n\x1a\n....", "a.txt", "The file is a PNG image, which is not supported"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "a.doc", "“.doc” files are not supported"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "a.docx", "old-format (.doc) or password-protected"),
        (b"abc\x00\x00\x00def", "a.txt", "a binary file"),
        (b"%PDF-1.4 not really a pdf", "a.pdf", "could not be read as a PDF: it looks damaged"),
        (b"PK\x03\x04garbage", "a.docx", "ZIP archive, not a Word document"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, name, message):
    with pytest.raises(DocumentError) as error:
        extract.extract(data, name)
    assert message in str(error.value)


def test_a_pdf_without_a_text_layer_asks_for_the_text_to_be_pasted():
    with pytest.raises(DocumentError, match="no text could be extracted|No text could be"):
        extract.extract(factories.make_pdf([[], []]), "scan.pdf")


def test_an_encrypted_pdf_is_refused():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(factories.make_pdf([["Hi."]]))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match="encrypted"):
        extract.extract(out.getvalue(), "locked.pdf")


def test_a_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(DocumentError, match="ZIP archive, not a Word document"):
        extract.extract(out.getvalue(), "a.docx")


def test_a_docx_decompression_bomb_is_refused_before_it_is_unpacked(settings):
    settings.TRACKER_SOURCE_MAX_UNZIPPED_BYTES = 5_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/bomb.bin", b"\0" * 20_000_000)
    assert len(out.getvalue()) < 100_000
    with pytest.raises(DocumentError, match="decompression bomb"):
        extract.extract(out.getvalue(), "bomb.docx")


@pytest.mark.parametrize("setting,value", [("TRACKER_SOURCE_MAX_BYTES", 100)])
def test_a_file_over_the_size_limit_is_refused(settings, setting, value):
    setattr(settings, setting, value)
    with pytest.raises(DocumentError, match="the limit is 0.0001 MB"):
        extract.extract(b"x" * 101, "a.txt")


def test_too_many_pdf_pages_or_too_much_text_is_refused(settings):
    settings.TRACKER_SOURCE_MAX_PAGES = 2
    with pytest.raises(DocumentError, match="3 pages; the limit is 2"):
        extract.extract(factories.make_pdf([["a."], ["b."], ["c."]]), "a.pdf")
    settings.TRACKER_SOURCE_MAX_TEXT_CHARS = 50
    for data, name in [
        (b"word " * 20, "a.txt"),
        (factories.make_pdf([["word " * 20]]), "a.pdf"),
        (factories.make_docx(["word " * 20]), "a.docx"),
        (b"<html><body><p>" + b"word " * 20 + b"</p></body></html>", "a.html"),
    ]:
        with pytest.raises(DocumentError, match="longer than 50 characters"):
            extract.extract(data, name)
