#!/usr/bin/env python3
"""Generates the page-count measurement set: office letters of 1 to 8 pages in DOC, DOCX, ODT
and RTF, with LibreOffice's rendered page count as the truth.

Each spec (seeded, so the set is the same on every run) is a nomination-like letter written as
flat ODF (.fodt) with its own paper (A4 or US Letter), margins, font, font size, line spacing,
paragraph spacing, and a mix of letterhead, headings, bullet and numbered lists, tables, a logo,
a header/footer and now and then a page break. LibreOffice converts every spec to ODT, DOCX,
DOC and RTF, then renders each of those files to PDF; the PDF's page count (pdfinfo) is the
truth in MANIFEST.tsv. Some ODT files get a stale `meta:page-count` (the text was edited after
the count was written, as happens with files edited by programs that do not lay out pages).

Usage: scripts/make-page-corpus.py [OUT_DIR] [--specs N]      (default var/page-corpus, 64)
Needs: soffice (libreoffice-writer-nogui) and pdfinfo (poppler-utils); Python 3 stdlib only.
The words come from the letters in tests/fixtures/letters and examples/mailbox (Dutch text).
"""
import argparse
import base64
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
FORMATS = [  # extension, LibreOffice filter
    ("odt", "odt:writer8"),
    ("docx", 'docx:MS Word 2007 XML'),
    ("doc", 'doc:MS Word 97'),
    ("rtf", 'rtf:Rich Text Format'),
]
FONTS = ["Liberation Serif", "Liberation Sans", "Calibri", "Arial", "Times New Roman",
         "Verdana", "DejaVu Sans", "DejaVu Serif", "Lato", "Cambria"]
PAGE_WEIGHTS = {1: 3, 2: 5, 3: 5, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1}


def words_from_repo():
    """Dutch words from the letters in tests/fixtures/letters and the text parts of the sample
    mails in examples/mailbox (never from encoded attachments)."""
    import email
    import email.policy
    text = []
    for p in sorted((ROOT / "tests/fixtures/letters").glob("*.txt")):
        text.append(p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "examples/mailbox").rglob("*")):
        if not p.is_file() or p.name.startswith(".") or p.suffix == ".md":
            continue
        msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                try:
                    text.append(part.get_content())
                except (LookupError, ValueError):
                    pass
    words = [w for w in re.findall(r"[A-Za-zëéïöüèáó'-]{2,18}", "\n".join(text))
             if re.search(r"[aeiouyëéïöü]", w.lower()) and not w.startswith(("http", "'", "-"))]
    if len(words) < 500:
        sys.exit("too few words found in tests/fixtures/letters and examples/mailbox")
    return words


class Text:
    def __init__(self, rng, words):
        self.rng, self.words = rng, words

    def sentence(self, lo=8, hi=24):
        n = self.rng.randint(lo, hi)
        ws = [self.rng.choice(self.words).lower() for _ in range(n)]
        ws[0] = ws[0].capitalize()
        if n > 10 and self.rng.random() < 0.4:
            ws[n // 2] += ","
        return " ".join(ws) + "."

    def paragraph(self, lo=2, hi=6):
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def phrase(self, lo=2, hi=6):
        return " ".join(self.rng.choice(self.words) for _ in range(self.rng.randint(lo, hi)))


def png(w, h, rgb):
    """A plain PNG image (a coloured block with a dark border), no imaging library needed."""
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            border = x < 3 or y < 3 or x >= w - 3 or y >= h - 3
            row += bytes((20, 20, 60) if border else rgb)
        rows.append(bytes(row))
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def spec(rng, i):
    letter = rng.random() < 0.3
    return {
        "id": i,
        "paper": "letter" if letter else "a4",
        "margins_cm": [rng.choice([1.5, 2.0, 2.5, 2.54, 3.0]) for _ in range(2)]
        + [rng.choice([1.5, 2.0, 2.5, 2.54, 3.0]) for _ in range(2)],
        "font": rng.choice(FONTS),
        "size_pt": rng.choice([10, 10.5, 11, 11, 12, 12]),
        "line": rng.choice(["100%", "100%", "115%", "115%", "150%"]),
        "after_cm": rng.choice([0, 0.2, 0.25, 0.35, 0.42]),
        "target": rng.choices(list(PAGE_WEIGHTS), weights=list(PAGE_WEIGHTS.values()))[0],
        "lists": rng.random() < 0.5,
        "table": rng.random() < 0.35,
        "headings": rng.random() < 0.6,
        "logo": rng.random() < 0.3,
        "header": rng.random() < 0.3,
        "page_break": rng.random() < 0.1,
        "letterhead": rng.random() < 0.7,
    }


def body_height_lines(s):
    w, h = (21.59, 27.94) if s["paper"] == "letter" else (21.0, 29.7)
    top, bottom = s["margins_cm"][0], s["margins_cm"][1]
    line_cm = s["size_pt"] * 1.17 * {"100%": 1.0, "115%": 1.15, "150%": 1.5}[s["line"]] / 72 * 2.54
    return (h - top - bottom) / line_cm, (w - sum(s["margins_cm"][2:])) / (s["size_pt"] * 0.56 / 72 * 2.54)


def content(s, t):
    """The body of one letter as ODF paragraphs, aiming at about `target` pages."""
    rng = t.rng
    lines_per_page, chars_per_line = body_height_lines(s)
    para_lines = lambda text: -(-len(text) // int(chars_per_line)) + s["after_cm"] / 0.5
    budget = (s["target"] - 0.45) * lines_per_page * rng.uniform(0.8, 1.25)
    out, used = [], 0.0

    def p(text, style="P"):
        nonlocal used
        out.append(f'<text:p text:style-name="{style}">{escape(text)}</text:p>')
        used += para_lines(text) if style != "Addr" else 1

    if s["logo"]:
        out.append('<text:p text:style-name="P"><draw:frame draw:name="logo" text:anchor-type="as-char" '
                   f'svg:width="{s["logo_w"]}cm" svg:height="{s["logo_h"]}cm"><draw:image>'
                   f'<office:binary-data>{s["logo_b64"]}</office:binary-data></draw:image></draw:frame></text:p>')
        used += s["logo_h"] / (s["size_pt"] * 1.2 / 72 * 2.54)
    if s["letterhead"]:
        for line in ["Gemeente " + t.phrase(1, 1).capitalize(), "Postbus " + str(rng.randint(10, 9999)),
                     f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGH')}{rng.choice('KLMNPRST')} "
                     + t.phrase(1, 1).capitalize(), ""]:
            p(line, "Addr")
        for line in ["Vereniging van Nederlandse Gemeenten", "t.a.v. de selectiecommissie",
                     "Postbus 30435", "2500 GK  Den Haag", ""]:
            p(line, "Addr")
        p(f"Datum: {rng.randint(1, 21)} maart 2018", "Addr")
        p("Onderwerp: aanmelding Koplopers VN-Verdrag Handicap", "Addr")
        p("", "Addr")
    p("Geachte leden van de selectiecommissie,")
    section = 0
    while used < budget:
        roll = rng.random()
        if s["headings"] and roll < 0.12:
            section += 1
            p(f"{section}. {t.phrase(2, 5).capitalize()}", "H")
        elif s["lists"] and roll < 0.22:
            kind = rng.choice(["LB", "LN"])
            items = [t.sentence(4, 16) for _ in range(rng.randint(2, 6))]
            out.append(f'<text:list text:style-name="{kind}">' + "".join(
                f'<text:list-item><text:p text:style-name="LP">{escape(x)}</text:p></text:list-item>'
                for x in items) + "</text:list>")
            used += sum(-(-len(x) // int(chars_per_line * 0.9)) for x in items) + s["after_cm"] / 0.5
        elif s["table"] and roll < 0.28:
            cols, rows = rng.randint(2, 4), rng.randint(2, 7)
            cells = "".join(
                "<table:table-row>" + "".join(
                    f'<table:table-cell table:style-name="C" office:value-type="string">'
                    f'<text:p text:style-name="TP">{escape(t.phrase(1, 8) if r else t.phrase(1, 2).capitalize())}</text:p>'
                    "</table:table-cell>" for _ in range(cols)) + "</table:table-row>"
                for r in range(rows))
            out.append(f'<table:table table:name="Tabel{len(out)}" table:style-name="Tbl">'
                       f'<table:table-column table:number-columns-repeated="{cols}"/>{cells}</table:table>')
            used += rows * 1.8 + 1
        elif s["page_break"] and roll < 0.30 and used > lines_per_page * 0.5:
            p(t.paragraph(1, 3), "PB")
            used = (used // lines_per_page + 1) * lines_per_page
        else:
            p(t.paragraph())
    p("Met vriendelijke groet,")
    p("", "Addr")
    p("Burgemeester en wethouders van " + t.phrase(1, 1).capitalize(), "Addr")
    return "\n".join(out)


NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/"')


def fodt(s, t):
    w, h = ("21.59cm", "27.94cm") if s["paper"] == "letter" else ("21cm", "29.7cm")
    top, bottom, left, right = s["margins_cm"]
    size = s["size_pt"]
    after = f'{s["after_cm"]}cm'
    header = ""
    if s["header"]:
        header = (f'<style:header><text:p text:style-name="HF">{escape(t.phrase(2, 5))}</text:p></style:header>'
                  f'<style:footer><text:p text:style-name="HF">Pagina <text:page-number/></text:p></style:footer>')
    hf_style = ('<style:header-style><style:header-footer-properties fo:min-height="0cm" fo:margin-bottom="0.5cm"/></style:header-style>'
                '<style:footer-style><style:header-footer-properties fo:min-height="0cm" fo:margin-top="0.5cm"/></style:footer-style>'
                if s["header"] else "")
    indent = 'text:list-level-position-and-space-mode="label-alignment"'
    align = ('<style:list-level-label-alignment text:label-followed-by="listtab" '
             'text:list-tab-stop-position="1.27cm" fo:text-indent="-0.635cm" fo:margin-left="1.27cm"/>')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><meta:generator>make-page-corpus</meta:generator><dc:title>Aanmelding {s["id"]}</dc:title></office:meta>
<office:font-face-decls><style:font-face style:name="F" svg:font-family="&apos;{s["font"]}&apos;"/></office:font-face-decls>
<office:styles>
<style:default-style style:family="paragraph"><style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="{after}" fo:line-height="{s["line"]}"/><style:text-properties style:font-name="F" fo:font-size="{size}pt" fo:language="nl" fo:country="NL"/></style:default-style>
<style:style style:name="Standard" style:family="paragraph" style:class="text"/>
<style:style style:name="P" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Addr" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0cm"/></style:style>
<style:style style:name="H" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-top="0.3cm" fo:margin-bottom="0.15cm" fo:keep-with-next="always"/><style:text-properties fo:font-size="{size + 2}pt" fo:font-weight="bold"/></style:style>
<style:style style:name="LP" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0.05cm"/></style:style>
<style:style style:name="TP" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0cm" fo:line-height="100%"/></style:style>
<style:style style:name="HF" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0cm"/><style:text-properties fo:font-size="{max(size - 2, 8)}pt"/></style:style>
</office:styles>
<office:automatic-styles>
<style:style style:name="PB" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:break-before="page"/></style:style>
<style:style style:name="Tbl" style:family="table"><style:table-properties table:align="margins" fo:margin-bottom="{after}"/></style:style>
<style:style style:name="C" style:family="table-cell"><style:table-cell-properties fo:padding="0.1cm" fo:border="0.5pt solid #000000"/></style:style>
<text:list-style style:name="LB"><text:list-level-style-bullet text:level="1" text:bullet-char="•"><style:list-level-properties {indent}>{align}</style:list-level-properties></text:list-level-style-bullet></text:list-style>
<text:list-style style:name="LN"><text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."><style:list-level-properties {indent}>{align}</style:list-level-properties></text:list-level-style-number></text:list-style>
<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="{w}" fo:page-height="{h}" style:print-orientation="portrait" fo:margin-top="{top}cm" fo:margin-bottom="{bottom}cm" fo:margin-left="{left}cm" fo:margin-right="{right}cm"/>{hf_style}</style:page-layout>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">{header}</style:master-page></office:master-styles>
<office:body><office:text>
{content(s, t)}
</office:text></office:body>
</office:document>
'''


def soffice(args, cwd):
    if not any(not x.startswith("-") and x != args[args.index("--outdir") + 1] for x in args[2:]):
        return  # soffice without input files would wait forever
    profile = Path(tempfile.mkdtemp(prefix="page-corpus-lo-"))
    try:
        subprocess.run(["soffice", "--headless", "--norestore", "--nolockcheck",
                        f"-env:UserInstallation=file://{profile}"] + args,
                       cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=3600)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def pdf_pages(path):
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def stale_copy(src, dst, rng):
    """An ODT whose meta:page-count no longer matches its text: paragraphs were removed or
    repeated after LibreOffice wrote the count."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "content.xml":
                xml = data.decode("utf-8")
                paras = re.findall(r"<text:p [^>]*>[^<]{200,}</text:p>", xml)
                if paras:
                    if rng.random() < 0.5:
                        for para in rng.sample(paras, k=max(1, len(paras) // 2)):
                            xml = xml.replace(para, "", 1)
                    else:
                        extra = "".join(rng.choice(paras) for _ in range(max(3, len(paras))))
                        xml = xml.replace("</office:text>", extra + "</office:text>", 1)
                data = xml.encode("utf-8")
            zout.writestr(item, data, compress_type=item.compress_type)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=str(ROOT / "var/page-corpus"))
    ap.add_argument("--specs", type=int, default=64)
    ap.add_argument("--stale", type=int, default=16, help="ODT copies with a stale page count")
    ap.add_argument("--seed", type=int, default=20180321)
    a = ap.parse_args()
    for tool in ("soffice", "pdfinfo"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (libreoffice-writer-nogui, poppler-utils)")
    out = Path(a.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    src = out / "fodt"
    src.mkdir(parents=True)
    rng = random.Random(a.seed)
    words = words_from_repo()
    specs = []
    for i in range(1, a.specs + 1):
        s = spec(rng, i)
        if s["logo"]:
            s["logo_w"], s["logo_h"] = rng.choice([(3, 1.5), (4, 2), (5, 2.5), (2.5, 2.5)])
            s["logo_b64"] = base64.b64encode(png(120, 60, (rng.randint(0, 255), 120, 200))).decode()
        specs.append(s)
        (src / f"letter-{i:03}.fodt").write_text(fodt(s, Text(rng, words)), encoding="utf-8")
    fodts = sorted(p.name for p in src.glob("*.fodt"))
    for ext, filt in FORMATS:
        (out / ext).mkdir()
        print(f"converting {len(fodts)} letters to {ext} ...", file=sys.stderr)
        soffice(["--convert-to", filt, "--outdir", str(out / ext)] + fodts, cwd=src)
    stale = out / "odt-stale"
    stale.mkdir()
    odts = sorted((out / "odt").glob("*.odt"))
    for p in rng.sample(odts, k=min(a.stale, len(odts))):
        stale_copy(p, stale / p.name.replace(".odt", "-stale.odt"), rng)
    rows = []
    for folder in ["odt", "docx", "doc", "rtf", "odt-stale"]:
        files = sorted((out / folder).iterdir())
        pdf_dir = out / "pdf" / folder
        pdf_dir.mkdir(parents=True)
        print(f"rendering {len(files)} {folder} files ...", file=sys.stderr)
        soffice(["--convert-to", "pdf", "--outdir", str(pdf_dir)] + [str(f) for f in files], cwd=out)
        for f in files:
            pdf = pdf_dir / (f.stem + ".pdf")
            if not pdf.exists():
                print(f"  no rendering for {f}", file=sys.stderr)
                continue
            sid = int(re.search(r"letter-(\d+)", f.name).group(1))
            s = specs[sid - 1]
            notes = (f'target {s["target"]} {s["paper"]} {s["font"]} {s["size_pt"]}pt line {s["line"]} after {s["after_cm"]}cm '
                     f'margins {"/".join(map(str, s["margins_cm"]))}cm'
                     + "".join(f" {k}" for k in ["lists", "table", "headings", "logo", "header", "page_break", "letterhead"] if s[k])
                     + (" stale-meta" if folder == "odt-stale" else ""))
            rows.append((f"{folder}/{f.name}", f.suffix.lstrip("."), pdf_pages(pdf), s["paper"], notes))
    with open(out / "MANIFEST.tsv", "w", encoding="utf-8") as m:
        m.write("path\tformat\tpages\tpaper\tnotes\n")
        for r in rows:
            m.write("\t".join(map(str, r)) + "\n")
    hist = {}
    for r in rows:
        hist[r[2]] = hist.get(r[2], 0) + 1
    print(f"{len(rows)} files in {out}/MANIFEST.tsv; pages: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(hist.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
