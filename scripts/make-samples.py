#!/usr/bin/env python3
"""Generate the sample mail of nomination-intake: examples/mailbox/ (a Maildir) and tests/fixtures/mail/*.eml.

Kept for reproducibility only: the generated files are committed, and nothing at build or test time
needs Python. Run from the repository root:

    python3 scripts/make-samples.py            # rewrite examples/mailbox and tests/fixtures/mail
    python3 scripts/make-samples.py --check    # also print page counts (needs pdfinfo) as a self-check
    python3 scripts/make-samples.py --proof DIR  # only render config/templates/confirmation.* with sample
                                                 # contexts into DIR for proof-reading (pip minijinja)

Needs: reportlab, python-docx, odfpy (pip). Output is deterministic (fixed dates, ids and zip times).

All letters are fictional: the municipalities and their e-mail domains are real (data/gemeenten.csv),
every person, address, project, number and quote is invented and says nothing about the real
municipality.
"""

import base64
import datetime as dt
import io
import os
import re
import shutil
import sys
import zipfile
from email.header import Header
from email.utils import format_datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAILDIR = os.path.join(ROOT, "examples", "mailbox")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "mail")
VNG = "koplopers@vng.nl"
CET = dt.timezone(dt.timedelta(hours=1))
CEST = dt.timezone(dt.timedelta(hours=2))
FIXED_ZIP_TIME = (2018, 3, 1, 9, 0, 0)


# ----------------------------------------------------------------------------------------------
# documents
# ----------------------------------------------------------------------------------------------

def _letter_story(letter, styles):
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    def esc(s):
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    story = []
    for line in letter.get("letterhead", []):
        story.append(Paragraph(esc(line), styles["head"]))
    story.append(Spacer(1, 8 * mm))
    for line in letter.get("meta", []):
        story.append(Paragraph(esc(line), styles["meta"]))
    story.append(Spacer(1, 6 * mm))
    for para in letter["paras"]:
        if para == "<pagebreak>":
            story.append(PageBreak())
        elif para.startswith("## "):
            story.append(Paragraph(esc(para[3:]), styles["h"]))
        elif para.startswith("- "):
            story.append(Paragraph(esc(para[2:]), styles["bullet"], bulletText="\u2022"))
        else:
            story.append(Paragraph(esc(para).replace("\n", "<br/>"), styles["body"]))
    return story


def make_pdf(letter, title, author, font_size=11.0):
    """A real A4 PDF with a text layer (standard Helvetica, WinAnsi: covers é, ë, ï, ó, â, €)."""
    from reportlab import rl_config
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    rl_config.invariant = 1  # no creation date or random id: reproducible bytes
    lead = font_size * 1.38
    styles = {
        "head": ParagraphStyle("head", fontName="Helvetica-Bold", fontSize=font_size + 2, leading=lead + 2),
        "meta": ParagraphStyle("meta", fontName="Helvetica", fontSize=font_size, leading=lead),
        "h": ParagraphStyle("h", fontName="Helvetica-Bold", fontSize=font_size, leading=lead, spaceBefore=6, spaceAfter=2),
        "body": ParagraphStyle("body", fontName="Helvetica", fontSize=font_size, leading=lead, spaceAfter=6, alignment=TA_LEFT),
        "bullet": ParagraphStyle("bullet", fontName="Helvetica", fontSize=font_size, leading=lead, leftIndent=12, spaceAfter=3),
    }
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
                            bottomMargin=22 * mm, title=title, author=author, subject=title, creator="Microsoft Word")
    doc.build(_letter_story(letter, styles))
    return buf.getvalue()


def _fixed_zip(data, first=None):
    """Rewrite a zip with fixed timestamps (and `first` stored uncompressed in front, for ODF)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        if first in names:
            names.remove(first)
            zi = zipfile.ZipInfo(first, FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_STORED
            dst.writestr(zi, src.read(first))
        for name in names:
            zi = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(name))
    return out.getvalue()


def make_docx(letter, author, created, pages_in_app_xml):
    """A Word document with A4 set in sectPr (w:pgSz 11906 x 16838 twips)."""
    import docx
    from docx.shared import Pt, Twips

    d = docx.Document()
    sec = d.sections[0]
    sec.page_width = Twips(11906)
    sec.page_height = Twips(16838)
    sec.left_margin = sec.right_margin = Twips(1418)
    sec.top_margin = sec.bottom_margin = Twips(1247)
    normal = d.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for line in letter.get("letterhead", []):
        r = d.add_paragraph().add_run(line)
        r.bold = True
    d.add_paragraph()
    for line in letter.get("meta", []):
        d.add_paragraph(line)
    d.add_paragraph()
    for para in letter["paras"]:
        if para.startswith("## "):
            r = d.add_paragraph().add_run(para[3:])
            r.bold = True
        elif para.startswith("- "):
            d.add_paragraph(para[2:], style="List Bullet")
        else:
            d.add_paragraph(para.replace("\n", " "))
    cp = d.core_properties
    cp.author = author
    cp.last_modified_by = author
    cp.title = letter.get("title", "")
    cp.created = created
    cp.modified = created
    cp.revision = 3
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    # Word writes its last layout's page count into docProps/app.xml; python-docx's template has none.
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "docProps/app.xml":
                text = body.decode("utf-8")
                text = re.sub(r"<Pages>\d+</Pages>", "<Pages>%d</Pages>" % pages_in_app_xml, text)
                text = re.sub(r"<Application>[^<]*</Application>", "<Application>Microsoft Office Word</Application>", text)
                body = text.encode("utf-8")
            dst.writestr(name, body)
    return _fixed_zip(out.getvalue())


def make_odt(letter, author, created_iso, page_count):
    """An OpenDocument text on A4 with meta:page-count, as LibreOffice writes it."""
    from odf import meta, text
    from odf.opendocument import OpenDocumentText
    from odf.style import (MasterPage, PageLayout, PageLayoutProperties, ParagraphProperties, Style,
                           TextProperties)

    doc = OpenDocumentText()
    pl = PageLayout(name="A4Layout")
    pl.addElement(PageLayoutProperties(pagewidth="21.001cm", pageheight="29.7cm", printorientation="portrait",
                                       margintop="2cm", marginbottom="2cm", marginleft="2.5cm", marginright="2.5cm"))
    doc.automaticstyles.addElement(pl)
    doc.masterstyles.addElement(MasterPage(name="Standard", pagelayoutname=pl))
    body_style = Style(name="Body", family="paragraph")
    body_style.addElement(TextProperties(fontsize="11pt", fontfamily="Liberation Sans"))
    body_style.addElement(ParagraphProperties(marginbottom="0.2cm"))
    bold = Style(name="Bold", family="paragraph")
    bold.addElement(TextProperties(fontsize="11pt", fontweight="bold", fontfamily="Liberation Sans"))
    doc.styles.addElement(body_style)
    doc.styles.addElement(bold)
    for line in letter.get("letterhead", []):
        doc.text.addElement(text.P(stylename=bold, text=line))
    doc.text.addElement(text.P(stylename=body_style, text=""))
    for line in letter.get("meta", []):
        doc.text.addElement(text.P(stylename=body_style, text=line))
    doc.text.addElement(text.P(stylename=body_style, text=""))
    for para in letter["paras"]:
        if para.startswith("## "):
            doc.text.addElement(text.P(stylename=bold, text=para[3:]))
        elif para.startswith("- "):
            doc.text.addElement(text.P(stylename=body_style, text="\u2022 " + para[2:]))
        else:
            doc.text.addElement(text.P(stylename=body_style, text=para.replace("\n", " ")))
    words = sum(len(p.split()) for p in letter["paras"])
    doc.meta.addElement(meta.InitialCreator(text=author))
    doc.meta.addElement(meta.CreationDate(text=created_iso))
    doc.meta.addElement(meta.DocumentStatistic(pagecount=str(page_count), paragraphcount=str(len(letter["paras"])),
                                               wordcount=str(words)))
    buf = io.BytesIO()
    doc.write(buf)
    return _fixed_zip(buf.getvalue(), first="mimetype")


# ----------------------------------------------------------------------------------------------
# raw mail
# ----------------------------------------------------------------------------------------------

def hdr(value):
    """RFC 2047 encode a header value when it is not plain ASCII."""
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode(linesep="\n")


def mailbox(name, email):
    if not name:
        return "<%s>" % email if email == "" else email
    try:
        name.encode("ascii")
        if any(c in name for c in ',.()<>@;:"[]'):
            name = '"%s"' % name.replace('"', '')
        return "%s <%s>" % (name, email)
    except UnicodeEncodeError:
        return "%s <%s>" % (hdr(name), email)


def rfcdate(when):
    return format_datetime(when)


def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def qp(text):
    import quopri
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\r\n", "\n")


def received_vng(helo, ip, when, qid, tls=True):
    lines = ["Received: from %s (%s [%s])" % (helo, helo, ip)]
    if tls:
        lines.append("\t(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))")
        lines.append("\t(No client certificate requested)")
    lines.append("\tby mx1.vng.nl (Postfix) with %s id %s" % ("ESMTPS" if tls else "ESMTP", qid))
    lines.append("\tfor <%s>; %s" % (VNG, rfcdate(when)))
    return "\n".join(lines)


def received_exchange(frm, to, when, version="15.1.1261.35"):
    return ("Received: from %s by %s\n\twith Microsoft SMTP Server (version=TLS1_2,\n"
            "\tcipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384) id %s;\n\t%s" % (frm, to, version, rfcdate(when)))


def received_plain(frm, by, when, proto="ESMTP", qid=None):
    idpart = " id %s" % qid if qid else ""
    return "Received: from %s\n\tby %s with %s%s; %s" % (frm, by, proto, idpart, rfcdate(when))


def text_part(body, subtype="plain", cte="quoted-printable", extra_ct=""):
    if cte == "quoted-printable":
        payload = qp(body)
    elif cte == "8bit":
        payload = body
    else:
        payload = b64(body.encode("utf-8"))
    return ("Content-Type: text/%s; charset=\"utf-8\"%s\nContent-Transfer-Encoding: %s\n\n%s"
            % (subtype, extra_ct, cte, payload.rstrip("\n") + "\n"))


def attachment_part(data, mime, filename, disposition="attachment", style="2231"):
    """One base64 attachment. style "2231" (Thunderbird, Apple) or "2047" (Outlook) for non-ASCII names."""
    try:
        filename.encode("ascii")
        name_param = 'name="%s"' % filename
        file_param = 'filename="%s"' % filename
    except UnicodeEncodeError:
        if style == "2047":
            enc = Header(filename, "utf-8").encode()
            name_param = 'name="%s"' % enc
            file_param = 'filename="%s"' % enc
        else:
            from urllib.parse import quote
            q = quote(filename, safe="")
            name_param = "name*=utf-8''%s" % q
            file_param = "filename*=utf-8''%s" % q
    return ("Content-Type: %s;\n\t%s\nContent-Disposition: %s;\n\t%s; size=%d\nContent-Transfer-Encoding: base64\n\n%s\n"
            % (mime, name_param, disposition, file_param, len(data), b64(data)))


def multipart(subtype, boundary, parts, preamble=None, extra_ct=""):
    out = "Content-Type: multipart/%s;\n\tboundary=\"%s\"%s\n\n" % (subtype, boundary, extra_ct)
    if preamble:
        out += preamble + "\n\n"
    for p in parts:
        out += "--%s\n%s\n" % (boundary, p.rstrip("\n"))
    out += "--%s--\n" % boundary
    return out


def message(headers, body_part):
    """headers: list of complete header lines (already folded); body_part: a part starting with its
    Content-Type header. MIME-Version is added before the body part's headers."""
    head = "\n".join(headers) + "\nMIME-Version: 1.0\n"
    return (head + body_part).encode("utf-8")


def maildir_name(when, micro, pid, flags):
    secs = int(when.timestamp())
    base = "%d.M%dP%d.mx1" % (secs, micro, pid)
    return base if flags is None else base + ":2," + flags


# ----------------------------------------------------------------------------------------------
# letters (fictional content; real municipalities)
# ----------------------------------------------------------------------------------------------

ZWOLLE = {
    "title": "Aanmelding gemeente Zwolle Koplopers VN-Verdrag Handicap",
    "letterhead": ["Gemeente Zwolle", "Maatschappelijke Ontwikkeling"],
    "meta": ["Aan: Vereniging van Nederlandse Gemeenten (VNG)", "t.a.v. het team Koplopers VN-Verdrag Handicap", "",
             "Zwolle, 12 maart 2018", "Ons kenmerk: MO/2018/0412",
             "Betreft: aanmelding gemeente Zwolle als koploper VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Met veel genoegen meldt het college van burgemeester en wethouders van Zwolle onze gemeente aan voor het "
        "programma Koplopers VN-Verdrag Handicap. In deze brief lichten wij per criterium toe waarom Zwolle een "
        "koploper wil én kan zijn, en hoe wij het principe ‘niets over ons zonder ons’ in praktijk brengen.",
        "## 1. Toegankelijkheid en inclusie staan hoog op de agenda",
        "De gemeenteraad heeft in november 2017 unaniem de ‘Zwolse Agenda Inclusie 2018–2022’ vastgesteld. Daarbij is "
        "een structureel budget van € 400.000 per jaar beschikbaar gesteld. Wethouder mevrouw drs. M. Kerkdijk heeft "
        "inclusie als aparte portefeuille en rapporteert twee keer per jaar aan de raad over de voortgang.",
        "Ook binnen de eigen organisatie maken wij werk van inclusie. Het stadskantoor is in 2017 door een "
        "onafhankelijke partij en door ervaringsdeskundigen getoetst op toegankelijkheid; de verbeterpunten zijn "
        "inmiddels uitgevoerd. De gemeente heeft 23 medewerkers in dienst via de banenafspraak, drie meer dan de "
        "taakstelling.",
        "## 2. Een innoverende aanpak",
        "Openbare ruimte: sinds 2016 lopen ‘schouwploegen’ van inwoners met een beperking elk kwartaal een route door "
        "een wijk. Zij gebruiken een rolstoel, een rollator of een taststok en melden knelpunten via een eigen "
        "meldknop in de app ‘Zwolle Fixi’. Meldingen van de schouwploegen worden binnen zes weken opgelost; in 2017 "
        "ging het om 412 meldingen, van scheve stoeptegels tot ontbrekende geleidelijnen bij bushaltes.",
        "Vervoer: samen met de provincie Overijssel en de vervoerder hebben wij de ‘reisbuddy’ ingevoerd. Inwoners "
        "met een verstandelijke beperking oefenen met een vrijwilliger een vaste route met de bus, tot zij die "
        "zelfstandig kunnen reizen. Ruim 90 inwoners reizen nu zelfstandig naar werk of dagbesteding, wat ook het "
        "doelgroepenvervoer ontlast.",
        "Informatie: alle brieven van de afdeling Werk en Inkomen zijn in 2017 samen met laaggeletterde inwoners "
        "herschreven op taalniveau B1. Het aantal telefonische vragen over deze brieven daalde met een derde.",
        "## 3. Bijdragen aan een inclusieve en diverse samenleving",
        "Wij zien inclusie niet als doelgroepenbeleid, maar als een manier van werken voor alle Zwollenaren. De "
        "verbeteringen die de schouwploegen aandragen, helpen ook ouderen, ouders met een kinderwagen en bezoekers "
        "die de stad niet kennen. De B1-brieven zijn net zo goed bedoeld voor nieuwkomers en voor iedereen die "
        "weinig tijd heeft om ingewikkelde taal te lezen.",
        "## Niets over ons zonder ons",
        "De Zwolse Agenda Inclusie is niet óver maar mét inwoners geschreven. Een meedenkgroep van veertien "
        "ervaringsdeskundigen heeft in zes bijeenkomsten de prioriteiten bepaald en de tekst mee geschreven. De "
        "meedenkgroep heeft een eigen budget en geeft gevraagd en ongevraagd advies, vóórdat het college een "
        "besluit neemt. De Adviesraad Sociaal Domein Zwolle heeft de agenda in concept getoetst; al zijn adviezen "
        "zijn overgenomen.",
        "Wij hopen als koploper onze ervaringen te delen en te leren van andere gemeenten, vooral op het gebied van "
        "werk en onderwijs, waar wij nog stappen willen zetten.",
        "Voor vragen kunt u contact opnemen met mevrouw I. Bosman, beleidsadviseur inclusie, via i.bosman@zwolle.nl "
        "of telefoonnummer 14 038.",
        "Met vriendelijke groet,",
        "het college van burgemeester en wethouders van Zwolle,",
        "de secretaris,                                     de burgemeester,\n\n\n"
        "drs. H.G. Lammers                                 mr. A.J. Steenbergen",
    ],
}

TILBURG = {
    "title": "Aanmelding Koplopers VN-Verdrag Handicap - gemeente Tilburg",
    "letterhead": ["GEMEENTE TILBURG"],
    "meta": ["Vereniging van Nederlandse Gemeenten", "Team Koplopers VN-Verdrag Handicap", "",
             "Tilburg, 13 maart 2018", "Onderwerp: kandidaatstelling Tilburg als koploper VN-Verdrag Handicap"],
    "paras": [
        "Geachte leden van het team Koplopers,",
        "Namens het college van burgemeester en wethouders stel ik de gemeente Tilburg kandidaat voor het programma "
        "Koplopers VN-Verdrag Handicap. Tilburg werkt al jaren aan een stad waar iedereen meedoet, en dat doen we "
        "samen met de mensen om wie het gaat.",
        "## Criterium 1: inclusie hoog op de agenda",
        "Inclusie is een van de vijf speerpunten in het coalitieakkoord ‘Samen maken we de stad’. De raad heeft in "
        "2017 de motie ‘Tilburg toegankelijk voor iedereen’ aangenomen, waarna het college een lokale inclusieagenda "
        "heeft opgesteld. Als wethouder Sociaal Domein ben ik bestuurlijk trekker. Elk raadsvoorstel bevat sinds "
        "januari 2018 een paragraaf ‘gevolgen voor inwoners met een beperking’.",
        "## Criterium 2: innoverende aanpak",
        "Werk: in het project ‘Werkplaats Inclusief’ zoeken werkgevers, jobcoaches en werkzoekenden met een "
        "arbeidsbeperking samen naar taken die passen. In 2017 vonden 61 inwoners zo een betaalde baan bij een "
        "reguliere werkgever. Nieuw is dat de werkzoekende zelf het gesprek met de werkgever leidt, met de jobcoach "
        "op de achtergrond.",
        "Vrije tijd: de Tilburgse kermis heeft sinds 2016 een prikkelarme ochtend. Dit is bedacht door ouders van "
        "kinderen met autisme en wordt ieder jaar met hen geëvalueerd. Inmiddels volgen het stadsfestival en twee "
        "theaters hetzelfde voorbeeld.",
        "Onderwijs: samen met de samenwerkingsverbanden passend onderwijs betalen wij een onderwijszorgconsulent die "
        "thuiszitters met een beperking binnen drie maanden weer naar school helpt.",
        "## Criterium 3: een inclusieve samenleving",
        "De prikkelarme ochtend op de kermis wordt ook bezocht door ouderen en door gezinnen met jonge kinderen die "
        "de drukte liever mijden. Zo merken we steeds weer dat wat voor inwoners met een beperking werkt, voor "
        "veel meer Tilburgers werkt.",
        "## Niets over ons zonder ons",
        "De inclusieagenda is opgesteld door een kerngroep waarin acht inwoners met een beperking de meerderheid "
        "hebben. De kerngroep stelt elk jaar de prioriteiten vast en heeft een eigen budget van € 25.000 voor "
        "eigen initiatieven. De WMO-raad heeft adviesrecht vanaf de start van elk beleidstraject.",
        "Met vriendelijke groet,",
        "J.M.A. van Hulten",
        "wethouder Sociaal Domein, gemeente Tilburg",
    ],
}

ENSCHEDE_BODY = """Geacht team Koplopers,

Hierbij meldt de gemeente Enschede zich aan voor het programma Koplopers
VN-Verdrag Handicap. Wij hebben de aanmelding bewust in deze e-mail gezet
en niet als bijlage, zodat hij ook goed leesbaar is met een
schermlezer.

1. INCLUSIE OP DE AGENDA

De gemeenteraad van Enschede heeft op 18 december 2017 het
actieprogramma "Enschede voor Iedereen" vastgesteld. Wethouder
dhr. R. Oude Luttikhuis is portefeuillehouder inclusie. Voor de
uitvoering is tot en met 2020 jaarlijks € 300.000 beschikbaar.

2. INNOVATIEVE AANPAK

Wonen: in de wijk Pathmos bouwen wij met woningcorporatie en
bewoners 40 levensloopbestendige woningen. Toekomstige bewoners met
een beperking hebben het ontwerp mee bepaald, tot en met de hoogte
van de keukenkastjes.

Informatie: de gemeentelijke website is in 2017 getest door een
panel van blinde en slechtziende Enschedeërs. Alle formulieren zijn
daarna aangepast en voldoen nu aan de webrichtlijnen.

3. INCLUSIEVE SAMENLEVING

De levensloopbestendige woningen zijn ook bedoeld voor ouderen en
jonge gezinnen. Zo ontstaat een gemengde straat en geen aparte
voorziening.

NIETS OVER ONS ZONDER ONS

Het actieprogramma is geschreven door de Participatieraad Enschede
samen met twaalf ervaringsdeskundigen. Zij hebben gekozen welke
onderwerpen voorrang krijgen. Het panel heeft een vaste plek in elk
project en een eigen vergoeding.

Met vriendelijke groet,

Bart Kuipers
Beleidsmedewerker Participatie en Inclusie
Gemeente Enschede | Service Centrum Sociaal Domein
T 14 053 | E b.kuipers@enschede.nl
Ik werk op maandag, dinsdag en donderdag.

--
Dit bericht is uitsluitend bestemd voor de geadresseerde. Indien u dit
bericht onterecht heeft ontvangen, wordt u verzocht de afzender te
informeren en het bericht te verwijderen. Aan dit bericht kunnen geen
rechten worden ontleend.
"""

LEEUWARDEN = {
    "title": "Aanmelding Koplopers VN-Verdrag gemeente Leeuwarden",
    "letterhead": ["Gemeente Leeuwarden", "Sociaal Domein"],
    "meta": ["Leeuwarden, 13 maart 2018", "Betreft: aanmelding Koplopers VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Het college van Leeuwarden meldt onze gemeente graag aan als koploper VN-Verdrag Handicap.",
        "## Agenda",
        "In het coalitieakkoord is afgesproken dat Leeuwarden in 2018, het jaar van Culturele Hoofdstad, laat zien "
        "dat een stad voor iedereen toegankelijk kan zijn. De raad heeft hiervoor een inclusieagenda vastgesteld. "
        "Wethouder mevr. T. Dijkstra-Hoekstra is verantwoordelijk.",
        "## Aanpak",
        "Vrije tijd: alle evenementen van Culturele Hoofdstad worden vooraf getoetst door een team van "
        "ervaringsdeskundigen. Zij bekijken de route, de toiletten, de informatie en de prijs. Er is een "
        "toegankelijkheidsgids in het Nederlands, het Fries en in eenvoudige taal.",
        "Openbare ruimte: het Zaailand is heringericht met doorlopende geleidelijnen en rustpunten om de 100 meter.",
        "## Voor iedereen",
        "Van de rustpunten en de duidelijke bewegwijzering hebben ook oudere bezoekers en toeristen profijt.",
        "## Niets over ons zonder ons",
        "Het Platform Toegankelijk Leeuwarden, met leden die zelf een beperking hebben, heeft de inclusieagenda "
        "opgesteld en beslist mee over de besteding van het budget.",
        "Met vriendelijke groet,",
        "namens het college,",
        "Sietske de Boer, programmamanager Inclusie",
    ],
}

NIJMEGEN_V1 = {
    "title": "Aanmelding Nijmegen Koplopers",
    "letterhead": ["Gemeente Nijmegen"],
    "meta": ["Nijmegen, 9 maart 2018", "Betreft: aanmelding Koplopers VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Hierbij meldt het college van burgemeester en wethouders van Nijmegen de gemeente aan als koploper.",
        "## Inclusie op de agenda",
        "Nijmegen heeft als een van de eerste gemeenten een lokale inclusieagenda vastgesteld. Daarvoor is in de "
        "begroting € 250.000 per jaar opgenomen.",
        "## Innovatie",
        "Onze aanpak ‘Nijmegen Toegankelijk’ brengt ondernemers en inwoners met een beperking samen. Samen testen "
        "zij winkels, horeca en sportverenigingen en geven ze een label.",
        "## Betrekken van inwoners",
        "De Nijmeegse Adviesraad Sociaal Domein is vanaf het begin betrokken bij het schrijven van de agenda.",
        "Met vriendelijke groet,",
        "Lotte Verhoeven",
        "beleidsadviseur, gemeente Nijmegen",
    ],
}

NIJMEGEN_V2 = {
    "title": "Aanmelding Nijmegen Koplopers (gecorrigeerde versie)",
    "letterhead": ["Gemeente Nijmegen"],
    "meta": ["Nijmegen, 19 maart 2018", "Betreft: aanmelding Koplopers VN-Verdrag Handicap (gecorrigeerde versie)",
             "Deze versie vervangt onze brief van 9 maart 2018."],
    "paras": [
        "Geachte heer, mevrouw,",
        "Hierbij meldt het college van burgemeester en wethouders van Nijmegen de gemeente aan als koploper "
        "VN-Verdrag Handicap. In onze eerdere brief stond een verkeerd bedrag en ontbrak de toelichting op het "
        "derde criterium. Deze brief vervangt die van 9 maart.",
        "## 1. Inclusie op de agenda",
        "Nijmegen heeft als een van de eerste gemeenten een lokale inclusieagenda vastgesteld. Daarvoor is in de "
        "begroting € 325.000 per jaar opgenomen. Wethouder dhr. K. Ramdin is portefeuillehouder en bespreekt de "
        "voortgang elk half jaar openbaar met de adviesraad. In de eigen organisatie volgen alle "
        "klantcontactmedewerkers de training ‘Ken je klant met een beperking’.",
        "## 2. Innovatie",
        "Vrije tijd en werk: onze aanpak ‘Nijmegen Toegankelijk’ brengt ondernemers en inwoners met een beperking "
        "samen. Samen testen zij winkels, horeca en sportverenigingen en geven ze een label. Ruim 180 ondernemers "
        "hebben het label nu. De testers zijn inwoners met een beperking die voor dit werk betaald worden.",
        "Informatie: de gemeente maakt van elke raadsvergadering een samenvatting in eenvoudige taal en in "
        "Nederlandse Gebarentaal.",
        "## 3. Inclusieve samenleving",
        "Het label ‘Nijmegen Toegankelijk’ helpt niet alleen mensen met een beperking. Ook ouderen, ouders met "
        "jonge kinderen en toeristen gebruiken de labelkaart om uit te kiezen waar ze naartoe gaan.",
        "## Niets over ons zonder ons",
        "De inclusieagenda is geschreven door een schrijfteam waarin inwoners met een beperking de meerderheid "
        "vormden. De Nijmeegse Adviesraad Sociaal Domein heeft adviesrecht vanaf de start van elk traject en een "
        "eigen budget voor onderzoek onder inwoners. Geen enkel voorstel over inclusie gaat naar het college "
        "zonder advies van de adviesraad.",
        "Met vriendelijke groet,",
        "Lotte Verhoeven",
        "beleidsadviseur, gemeente Nijmegen",
    ],
}

APELDOORN = {
    "title": "Aanmelding Apeldoorn Koplopers VN-Verdrag Handicap, met bijlage",
    "letterhead": ["Gemeente Apeldoorn", "Programma Apeldoorn Inclusief"],
    "meta": ["Aan: VNG, team Koplopers VN-Verdrag Handicap", "Apeldoorn, 16 maart 2018",
             "Betreft: aanmelding gemeente Apeldoorn"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Graag meldt het college van burgemeester en wethouders van Apeldoorn de gemeente aan voor het "
        "programma Koplopers VN-Verdrag Handicap. Omdat wij veel projecten hebben, hebben wij een overzicht als "
        "bijlage toegevoegd. De brief zelf beslaat twee pagina’s.",
        "## Criterium 1: inclusie op de agenda",
        "De raad van Apeldoorn heeft in juni 2017 het programma ‘Apeldoorn Inclusief’ vastgesteld, met een "
        "looptijd van vier jaar en een budget van € 1,2 miljoen. Wethouder mevrouw L. Brinkhorst-Zeeman is "
        "portefeuillehouder. Elke afdeling heeft een inclusiecoördinator, en bij elke aanbesteding stellen wij "
        "eisen aan toegankelijkheid.",
        "In de eigen organisatie werken 31 mensen met een arbeidsbeperking, onder wie twee beleidsadviseurs die "
        "als ervaringsdeskundige zijn aangenomen. Het stadhuis heeft sinds 2017 een prikkelarme wachtruimte.",
        "## Criterium 2: innoverende aanpak",
        "Wonen: met drie woningcorporaties hebben we het ‘Apeldoorns Woonlabel’ ontwikkeld. Woningen krijgen een "
        "label voor toegankelijkheid, zodat woningzoekenden met een beperking direct zien welke woning past. "
        "Inmiddels hebben ruim 2.400 woningen een label.",
        "Arbeidsmarkt: in ‘Apeldoorn Werkt’ verdelen werkgevers eenvoudige taken opnieuw (jobcarving). Zo zijn "
        "in 2017 74 banen ontstaan voor inwoners met een arbeidsbeperking.",
        "Vervoer: de regiotaxi is samengevoegd met het leerlingenvervoer en de dagbesteding. Reizigers met een "
        "beperking kunnen nu via één app een rit boeken, met spraakbediening.",
        "Vrije tijd: in het Orderbos is een natuurpad aangelegd dat met een rolstoel en een scootmobiel "
        "toegankelijk is, met voelbare informatiezuilen.",
        "## Criterium 3: inclusieve samenleving",
        "Wij werken aan een Apeldoorn waar iedereen erbij hoort, ongeacht leeftijd, afkomst of beperking. Het "
        "Woonlabel wordt ook veel gebruikt door ouderen die langer zelfstandig willen wonen; het natuurpad is "
        "populair bij gezinnen met kleine kinderen.",
        "## Niets over ons zonder ons",
        "Het programma is opgesteld met de Adviesraad Sociaal Domein en met het Apeldoorns Platform Gehandicapten. "
        "Zij hebben vanaf het eerste begin meegeschreven en bepalen jaarlijks mee welke projecten voorrang krijgen. "
        "In elke projectgroep zit ten minste één ervaringsdeskundige met stemrecht.",
        "Wij kijken uit naar uw beoordeling.",
        "Met vriendelijke groet,",
        "namens het college van burgemeester en wethouders van Apeldoorn,",
        "W. (Willem) Hazelaar, programmamanager Apeldoorn Inclusief",
        "<pagebreak>",
        "## Bijlage: overzicht van projecten Apeldoorn Inclusief (stand maart 2018)",
    ] + [
        "- %s: %s" % item for item in [
            ("Apeldoorns Woonlabel", "toegankelijkheidslabel voor 2.400 huurwoningen; samen met drie woningcorporaties en de Adviesraad Sociaal Domein; evaluatie in 2019."),
            ("Apeldoorn Werkt", "jobcarving bij 38 werkgevers; 74 banen in 2017; werkgeversservicepunt met een ervaringsdeskundige adviseur."),
            ("Eén app voor vervoer", "regiotaxi, leerlingenvervoer en dagbesteding in één boekingssysteem, met spraakbediening en grote letters."),
            ("Natuurpad Orderbos", "2,5 kilometer verhard pad, voelbare informatiezuilen, rustbanken om de 200 meter, aangepast toilet."),
            ("Prikkelarme wachtruimte", "in het stadhuis sinds september 2017; ontworpen met inwoners met autisme."),
            ("Inclusiecoördinatoren", "een per afdeling; zij toetsen nieuwe plannen met de inclusietoets."),
            ("Toegankelijke verkiezingen", "alle stemlokalen getoetst; stemmal met voelbare vakjes; uitleg in eenvoudige taal."),
            ("Sportakkoord", "zes sportverenigingen met aangepaste trainingen; sportmaatje voor nieuwe leden."),
            ("Bibliotheek", "voorleesmiddagen met gebarentaal; collectie boeken in eenvoudige taal uitgebreid."),
            ("Schoolpleinen", "vier schoolpleinen heringericht met speeltoestellen voor kinderen met en zonder beperking."),
            ("Websitetest", "jaarlijkse test van de gemeentelijke website door een panel van inwoners met een visuele beperking."),
            ("Meldpunt drempels", "inwoners melden obstakels in de openbare ruimte; 318 meldingen in 2017, 290 opgelost."),
            ("Cultuurpas", "korting voor begeleiders bij theater en musea; 1.100 passen uitgegeven."),
            ("Buurtcoaches", "elf buurtcoaches met kennis van beperkingen in de wijkteams."),
            ("Raadsinformatie", "samenvattingen van raadsbesluiten in eenvoudige taal, getest door een leesgroep."),
            ("Toegankelijke evenementen", "draaiboek voor organisatoren; vergunning alleen met toegankelijkheidsparagraaf."),
            ("Opleiding ambtenaren", "e-learning ‘Iedereen doet mee’ verplicht voor nieuwe medewerkers."),
            ("Onderzoek", "jaarlijkse peiling onder 600 inwoners met een beperking, samen met de Hogeschool."),
        ]
    ] + [
        "## Toelichting per project",
        "De projecten zijn verdeeld over de levensdomeinen uit het VN-Verdrag: wonen, werk, vervoer, vrije tijd, "
        "onderwijs, informatie en de openbare ruimte. Per project zijn een projectleider en een "
        "ervaringsdeskundige aangewezen. De voortgang wordt elk kwartaal besproken in de stuurgroep, waarin ook "
        "de voorzitter van de Adviesraad Sociaal Domein zitting heeft. Hieronder geven wij per project een korte "
        "toelichting op de resultaten en de geplande vervolgstappen.",
    ] + [
        "%s. Het project is gestart na een advies van de Adviesraad Sociaal Domein. De ervaringsdeskundigen in de "
        "projectgroep hebben de doelen mee opgesteld en toetsen de resultaten. In 2018 wordt het project geëvalueerd "
        "met de deelnemers zelf; de uitkomsten worden gedeeld met de raad en met andere gemeenten in de regio "
        "Stedendriehoek. Het budget voor dit project is onderdeel van het programmabudget Apeldoorn Inclusief."
        % name for name in ["Apeldoorns Woonlabel", "Apeldoorn Werkt", "Eén app voor vervoer", "Natuurpad Orderbos",
                            "Schoolpleinen", "Meldpunt drempels"]
    ],
}

BREDA = {
    "title": "Aanmelding Breda",
    "letterhead": ["Gemeente Breda"],
    "meta": ["Breda, 20 maart 2018", "Aan: VNG, Koplopers VN-Verdrag Handicap",
             "Onderwerp: Breda meldt zich aan als koploper"],
    "paras": [
        "Beste mensen van de VNG,",
        "Breda meldt zich aan als koploper VN-Verdrag Handicap. Wij doen dat samen met het Platform Gehandicapten "
        "Breda, dat deze brief heeft meegelezen.",
        "## Agenda",
        "In Breda is toegankelijkheid vastgelegd in de ‘Bredase Agenda Iedereen Doet Mee’, door de raad "
        "vastgesteld in september 2017. Burgemeester en wethouders hebben afgesproken dat elk collegevoorstel "
        "een toegankelijkheidstoets krijgt.",
        "## Vernieuwend",
        "Openbare ruimte en vervoer: bij de herinrichting van het stationsgebied hebben inwoners met een "
        "beperking op ware grootte maquettes getest, vóór de aanbesteding. De looproutes en de taxistandplaats "
        "zijn daarna aangepast.",
        "Informatie: de gemeente heeft een eigen ‘gebarentaal-loket’: via videobellen kunnen dove inwoners direct "
        "met een medewerker en een tolk praten.",
        "## Voor iedereen",
        "De brede looproutes bij het station worden ook gebruikt door reizigers met koffers en door ouderen. "
        "Inclusie is in Breda een uitgangspunt voor al het beleid, niet een apart project.",
        "## Niets over ons zonder ons",
        "Het Platform Gehandicapten Breda heeft adviesrecht vanaf het eerste ontwerp en heeft de prioriteiten van de "
        "agenda bepaald. Het platform krijgt een jaarlijkse subsidie om zelf onderzoek te doen.",
        "Hartelijke groet,",
        "Femke Jacobs",
        "teamleider Sociaal Domein, gemeente Breda",
    ],
}

DORDRECHT = {
    "title": "Aanmelding Dordrecht Koplopers VN-Verdrag",
    "letterhead": ["Gemeente Dordrecht"],
    "meta": ["Dordrecht, 21 maart 2018", "Betreft: aanmelding gemeente Dordrecht Koplopers VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Het college van Dordrecht meldt de gemeente aan voor het programma Koplopers VN-Verdrag Handicap. Bijgevoegd "
        "is een steunbrief van de Adviesraad Sociaal Domein Dordrecht.",
        "## 1. Agenda",
        "De gemeenteraad heeft op 30 januari 2018 de ‘Dordtse Inclusieagenda’ vastgesteld. Wethouder dhr. P. "
        "Mulders is portefeuillehouder en heeft € 200.000 per jaar beschikbaar voor de uitvoering. In de gemeentelijke "
        "organisatie werken 18 collega’s met een arbeidsbeperking.",
        "## 2. Innoverende aanpak",
        "Onderwijs: samen met het mbo hebben wij een opleiding ‘ervaringsdeskundige in de zorg’ opgezet. Studenten met "
        "een beperking lopen stage in de wijkteams.",
        "Openbare ruimte: het historische centrum heeft, met respect voor het monument, verlaagde stoepen en "
        "gladde looppaden tussen de kinderkopjes gekregen. Een werkgroep van inwoners met een beperking koos de route.",
        "## 3. Inclusieve samenleving",
        "De gladde looppaden worden gebruikt door ouders met kinderwagens, door ouderen met een rollator en door "
        "toeristen met koffers. Zo wordt de binnenstad voor alle Dordtenaren beter bereikbaar.",
        "## Niets over ons zonder ons",
        "De Dordtse Inclusieagenda is geschreven samen met de Adviesraad Sociaal Domein en een klankbordgroep van "
        "twintig inwoners met een beperking. De klankbordgroep bepaalt mee welke projecten voorgaan en beoordeelt "
        "elk jaar de uitvoering.",
        "Met vriendelijke groet,",
        "Nadia el Khatib",
        "beleidsadviseur Inclusie, gemeente Dordrecht",
    ],
}

DORDRECHT_STEUN = {
    "title": "Steunbrief Adviesraad Sociaal Domein Dordrecht",
    "letterhead": ["Adviesraad Sociaal Domein Dordrecht"],
    "meta": ["Dordrecht, 19 maart 2018", "Aan: VNG, team Koplopers VN-Verdrag Handicap",
             "Betreft: steunbrief bij de aanmelding van de gemeente Dordrecht"],
    "paras": [
        "Geachte heer, mevrouw,",
        "De Adviesraad Sociaal Domein Dordrecht steunt de aanmelding van de gemeente Dordrecht als koploper "
        "VN-Verdrag Handicap van harte.",
        "Wij zijn vanaf het begin betrokken geweest bij de Dordtse Inclusieagenda. Onze adviezen over de volgorde "
        "van de projecten zijn overgenomen. Wij blijven kritisch, bijvoorbeeld over de wachttijden bij "
        "woningaanpassingen, maar wij ervaren een gemeente die luistert en het motto ‘niets over ons zonder ons’ "
        "serieus neemt.",
        "Met vriendelijke groet,",
        "namens de Adviesraad Sociaal Domein Dordrecht,",
        "mevr. G. van Wijngaarden-Roos, voorzitter",
    ],
}

HEERLEN = {
    "title": "Aanmelding Heerlen Koplopers",
    "letterhead": ["Gemeente Heerlen"],
    "meta": ["Heerlen, 21 maart 2018", "Betreft: aanmelding Koplopers VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Op de valreep meldt het college van burgemeester en wethouders van Heerlen de gemeente aan als koploper "
        "VN-Verdrag Handicap.",
        "## Agenda",
        "In het coalitieprogramma staat dat Heerlen in 2020 een toegankelijke stad is. De raad heeft in 2017 een "
        "inclusieagenda vastgesteld; wethouder mevr. C. Pluijmaekers is verantwoordelijk.",
        "## Aanpak",
        "Werk: in het ‘Heerlens Werkhuis’ werken inwoners met en zonder beperking samen in de groenvoorziening en "
        "de fietsenstalling. 45 deelnemers stroomden in 2017 door naar een baan.",
        "Vervoer: de wijkbus rijdt op vraag en is volledig rolstoeltoegankelijk; de chauffeurs zijn vrijwilligers.",
        "## Voor iedereen",
        "De wijkbus wordt door veel ouderen gebruikt die niet meer zelf rijden.",
        "## Niets over ons zonder ons",
        "De inclusieagenda is opgesteld met de Wmo-raad en een panel van ervaringsdeskundigen, die samen de "
        "prioriteiten kozen.",
        "Met vriendelijke groet,",
        "Jo Crombach",
        "beleidsmedewerker, gemeente Heerlen",
    ],
}

PEEL_EN_MAAS = {
    "title": "Aanmelding Peel en Maas",
    "letterhead": ["Gemeente Peel en Maas"],
    "meta": ["Panningen, 15 maart 2018", "Betreft: aanmelding gemeente Peel en Maas als koploper VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Het college van burgemeester en wethouders van Peel en Maas meldt onze gemeente aan voor het programma "
        "Koplopers VN-Verdrag Handicap. Omdat wij in de regio Noord-Limburg samenwerken, stuurt de regionale "
        "projectleider deze brief namens ons in.",
        "## Agenda",
        "De raad van Peel en Maas heeft in 2017 het plan ‘Dorpen voor iedereen’ vastgesteld. Wethouder mevr. "
        "R. Hermans is portefeuillehouder.",
        "## Aanpak",
        "Betrekken: elk van de elf dorpsraden heeft een ervaringsdeskundige die meebeslist over het dorpsplan. "
        "Vrije tijd: de dorpsaccommodaties zijn samen met hen toegankelijk gemaakt.",
        "## Voor iedereen",
        "De toegankelijke dorpshuizen worden ook gebruikt door ouderen en jonge gezinnen.",
        "## Niets over ons zonder ons",
        "Inwoners met een beperking hebben het plan mee geschreven en bepalen mee de prioriteiten.",
        "Met vriendelijke groet,",
        "namens het college van burgemeester en wethouders van Peel en Maas,",
        "Mieke Janssen, beleidsadviseur",
    ],
}

ALMERE_V1 = {
    "title": "Aanmelding Almere Koplopers VN-Verdrag",
    "letterhead": ["Gemeente Almere"],
    "meta": ["Almere, 20 maart 2018", "Betreft: aanmelding Koplopers VN-Verdrag Handicap"],
    "paras": [
        "Geachte heer, mevrouw,",
        "Het college van burgemeester en wethouders van Almere meldt de gemeente aan als koploper VN-Verdrag Handicap.",
        "## Agenda",
        "De raad heeft in 2017 de ‘Almeerse Inclusieagenda’ vastgesteld; wethouder dhr. F. Tuinman is "
        "portefeuillehouder.",
        "## Aanpak",
        "Vervoer: de Almeerse busbanen en haltes zijn volledig toegankelijk; reizigers met een beperking hebben de "
        "haltes getest.",
        "## Niets over ons zonder ons",
        "Het Almeers Platform Toegankelijkheid heeft de agenda mee geschreven.",
        "Met vriendelijke groet,",
        "Marieke de Vries, beleidsadviseur, gemeente Almere",
    ],
}

ALMERE_V2 = dict(ALMERE_V1, title="Aanmelding Almere Koplopers VN-Verdrag (aanvulling)",
                 meta=["Almere, 22 maart 2018", "Betreft: aanvulling op onze aanmelding van 20 maart 2018"],
                 paras=ALMERE_V1["paras"][:-2] + [
                     "## Voor iedereen (aanvulling)",
                     "De toegankelijke haltes worden ook gebruikt door ouderen en ouders met een kinderwagen.",
                     "Met vriendelijke groet,",
                     "Marieke de Vries, beleidsadviseur, gemeente Almere",
                 ])


# ----------------------------------------------------------------------------------------------
# the mails
# ----------------------------------------------------------------------------------------------

def t(day, h, m, s, tz=CET, month=3):
    return dt.datetime(2018, month, day, h, m, s, tzinfo=tz)


def sec(when, seconds):
    return when - dt.timedelta(seconds=seconds)


def exchange_headers(domain, arrival, qid, ip, hops=2):
    """The top VNG stamp plus the sender's own Exchange hops (older, below)."""
    host = "mail.%s" % domain
    return [
        received_vng(host, ip, arrival, qid),
        received_exchange("EXCH02.gemeente.local (10.20.1.12)", "EXCH01.gemeente.local (10.20.1.11)", sec(arrival, 2)),
        received_exchange("EXCH01.gemeente.local (10.20.1.11)", "EXCH02.gemeente.local (10.20.1.12)", sec(arrival, 3)),
    ][: 1 + hops]


def envelope(sender):
    return ["Return-Path: <%s>" % sender, "Delivered-To: %s" % VNG]


def mailbox_mails(docs):
    """Returns [(key, folder, flags, arrival, raw, note)] in arrival order."""
    mails = []

    # (h) Nijmegen, first version: 9 March.
    a = t(9, 15, 31, 5)
    nij_mid = "<0ad1e9c3b7f84c2d9a55c01e2b6f7a31@mail.nijmegen.nl>"
    raw = message(envelope("l.verhoeven@nijmegen.nl") + exchange_headers("nijmegen.nl", a, "3zyK1m0LqQz9vN2", "198.51.100.21") + [
        "From: Lotte Verhoeven <l.verhoeven@nijmegen.nl>",
        "To: Koplopers VN-Verdrag <%s>" % VNG,
        "Subject: Aanmelding Koplopers VN-Verdrag Handicap gemeente Nijmegen",
        "Date: %s" % rfcdate(sec(a, 4)),
        "Message-ID: %s" % nij_mid,
        "Content-Language: nl-NL",
        "X-Mailer: Microsoft Outlook 16.0",
    ], multipart("mixed", "----=_NextPart_000_0012_01D3B7B4.5C2E1A30", [
        text_part("Geachte heer, mevrouw,\n\nIn de bijlage treft u de aanmelding van de gemeente Nijmegen aan.\n\n"
                  "Met vriendelijke groet,\n\nLotte Verhoeven\nBeleidsadviseur Sociaal Domein\nGemeente Nijmegen\n"),
        attachment_part(docs["nijmegen_v1.pdf"], "application/pdf", "Aanmelding Koplopers Nijmegen.pdf"),
    ]))
    mails.append(("nijmegen-v1", "cur", "S", a, raw,
                  "(h) Nijmegen, first version (1-page PDF; no criterion 3). Confirmation: yes; on time. Later superseded by "
                  "nijmegen-v2."))

    # (a) Zwolle, 2-page PDF: 12 March.
    a = t(12, 9, 47, 21)
    zwolle_mid = "<5AA63F1B020000A10003C2F1@mail.zwolle.nl>"
    raw = message(envelope("i.bosman@zwolle.nl") + exchange_headers("zwolle.nl", a, "3zvF2K1rVbz1xq4", "198.51.100.14") + [
        "From: \"Bosman, Ilse\" <i.bosman@zwolle.nl>",
        "To: \"koplopers@vng.nl\" <%s>" % VNG,
        "Subject: Aanmelding gemeente Zwolle - Koplopers VN-Verdrag Handicap",
        "Date: %s" % rfcdate(sec(a, 5)),
        "Message-ID: %s" % zwolle_mid,
        "Accept-Language: nl-NL, en-US",
        "Content-Language: nl-NL",
        "Thread-Topic: Aanmelding gemeente Zwolle - Koplopers VN-Verdrag Handicap",
        "Thread-Index: AdO54lS3k8QbX2JfTmK7yQ0a1bC9Dw==",
        "X-MS-Has-Attach: yes",
    ], multipart("mixed", "_004_5AA63F1B020000A10003C2F1mailzwollenl_", [
        text_part("Geachte heer, mevrouw,\n\nNamens het college van burgemeester en wethouders van Zwolle stuur ik u "
                  "hierbij onze aanmelding voor het programma Koplopers VN-Verdrag Handicap.\n\n"
                  "Met vriendelijke groet,\n\nIlse Bosman\nBeleidsadviseur inclusie\nGemeente Zwolle\n"
                  "T 14 038 | i.bosman@zwolle.nl\n"),
        attachment_part(docs["zwolle.pdf"], "application/pdf", "Aanmelding Zwolle koploper VN-Verdrag.pdf"),
    ]))
    mails.append(("zwolle-pdf", "cur", "S", a, raw,
                  "(a) Zwolle, 2-page A4 PDF letter with text layer. Confirmation: yes; on time; 2 pages, within limit."))

    # (f) Out-of-office reply from Zwolle to our confirmation, one minute later.
    a = t(12, 9, 48, 40)
    raw = message(envelope("i.bosman@zwolle.nl") + exchange_headers("zwolle.nl", a, "3zvF3T0bQnz1xr7", "198.51.100.14", hops=1) + [
        "From: \"Bosman, Ilse\" <i.bosman@zwolle.nl>",
        "To: Team Koplopers VN-Verdrag <%s>" % VNG,
        "Subject: Automatisch antwoord: Bevestiging van uw aanmelding KVN-0002",
        "Date: %s" % rfcdate(sec(a, 2)),
        "Message-ID: <5AA63F5C020000A10003C2F9@mail.zwolle.nl>",
        "In-Reply-To: <confirmation.KVN-0002@vng.nl>",
        "References: <confirmation.KVN-0002@vng.nl>",
        "Auto-Submitted: auto-replied",
        "X-Auto-Response-Suppress: All",
        "Content-Language: nl-NL",
    ], text_part("Goedendag,\n\nIk ben afwezig tot en met maandag 26 maart 2018. Uw e-mail wordt niet "
                 "doorgestuurd.\nVoor dringende zaken kunt u bellen met 14 038 en vragen naar team Inclusie.\n\n"
                 "Met vriendelijke groet,\nIlse Bosman\n"))
    mails.append(("zwolle-autoreply", "cur", "S", a, raw,
                  "(f) Out-of-office auto-reply to our confirmation (Auto-Submitted: auto-replied). No confirmation, no nomination."))

    # (g) Leeuwarden, sent twice: byte-identical message, arriving one minute apart.
    leeu_a1 = t(13, 14, 2, 10)
    leeu_a2 = t(13, 14, 3, 12)
    leeu_body = [
        "From: Sietske de Boer <s.deboer@leeuwarden.nl>",
        "To: %s" % VNG,
        "Subject: Aanmelding Koplopers VN-Verdrag Handicap - Leeuwarden",
        "Date: %s" % rfcdate(t(13, 14, 2, 1)),
        "Message-ID: <e3c1f0a2-7b4d-4c8e-9f21-5d6a7b8c9d0e@leeuwarden.nl>",
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:52.0) Gecko/20100101 Thunderbird/52.6.0",
        "Content-Language: nl",
    ]
    leeu_mime = multipart("mixed", "------------9C1B6A2D0E4F3A7B5C8D2E1F", [
        text_part("Geachte heer, mevrouw,\n\nBijgaand de aanmelding van de gemeente Leeuwarden.\n\n"
                  "Met vriendelijke groet,\nSietske de Boer\nProgrammamanager Inclusie, gemeente Leeuwarden\n",
                  cte="8bit", extra_ct="; format=flowed"),
        attachment_part(docs["leeuwarden.pdf"], "application/pdf", "Aanmelding Leeuwarden Koplopers.pdf"),
    ], preamble="This is a multi-part message in MIME format.")
    sender_hop = received_plain("[10.30.4.17] (unknown [10.30.4.17])", "mail.leeuwarden.nl (Postfix)", t(13, 14, 2, 2),
                                proto="ESMTPSA", qid="8E2A1C04B1")
    for i, (arr, qid) in enumerate([(leeu_a1, "3zwQ5b2KcMz7Gh1"), (leeu_a2, "3zwQ6p4LdRz7Gh9")]):
        raw = message(envelope("s.deboer@leeuwarden.nl") + [received_vng("mail.leeuwarden.nl", "203.0.113.40", arr, qid),
                                                                sender_hop] + leeu_body, leeu_mime)
        mails.append(("leeuwarden-%d" % (i + 1), "cur", "S", arr, raw,
                      ("(g) Leeuwarden, 1-page PDF. Confirmation: yes; on time." if i == 0 else
                       "(g) Leeuwarden again: the same message (same Message-ID, identical bytes below the top "
                       "Received header), one minute later. Duplicate of leeuwarden-1: no second submission, no second confirmation.")))

    # (b) Tilburg, DOCX: 14 March.
    a = t(14, 10, 12, 3)
    raw = message(envelope("j.vanhulten@tilburg.nl") + exchange_headers("tilburg.nl", a, "3zx9Tq5WmBz8Lk3", "198.51.100.77") + [
        "From: \"Hulten, Joost van\" <j.vanhulten@tilburg.nl>",
        "To: \"koplopers@vng.nl\" <%s>" % VNG,
        "CC: \"Aerts, Sanne\" <s.aerts@tilburg.nl>",
        "Subject: Kandidaatstelling Tilburg Koplopers VN-Verdrag Handicap",
        "Date: %s" % rfcdate(sec(a, 4)),
        "Message-ID: <AM4PR0101MB2163B0F5E1C1E4A7D2B9C1E8D3A10@AM4PR0101MB2163.eurprd01.prod.exchangelabs.com>",
        "Accept-Language: nl-NL",
        "Content-Language: nl-NL",
        "X-MS-Has-Attach: yes",
    ], multipart("mixed", "_003_AM4PR0101MB2163B0F5E1C1E4A7D2B9_", [
        text_part("Geachte leden van het team Koplopers,\n\nIn de bijlage vindt u de kandidaatstelling van de gemeente "
                  "Tilburg als Word-bestand.\n\nMet vriendelijke groet,\n\nJoost van Hulten\nWethouder Sociaal Domein\n"
                  "Gemeente Tilburg\n"),
        attachment_part(docs["tilburg.docx"],
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        "Kandidaatstelling Tilburg VN-Verdrag.docx"),
    ]))
    mails.append(("tilburg-docx", "cur", "S", a, raw,
                  "(b) Tilburg, Word (DOCX, A4 in sectPr, docProps/app.xml says 2 pages, about 430 words). Confirmation: yes; "
                  "on time; within the limit; page count is an estimate."))

    # (c) Enschede, nomination in the body: 15 March.
    a = t(15, 16, 42, 55)
    raw = message(envelope("b.kuipers@enschede.nl") + exchange_headers("enschede.nl", a, "3zxqV81Hf5z2Bn6", "198.51.100.53") + [
        "From: Bart Kuipers <b.kuipers@enschede.nl>",
        "To: %s" % VNG,
        "Subject: Aanmelding gemeente Enschede voor Koplopers VN-Verdrag Handicap",
        "Date: %s" % rfcdate(sec(a, 6)),
        "Message-ID: <5AAA93C7.7060208@enschede.nl>",
        "Content-Language: nl-NL",
    ], text_part(ENSCHEDE_BODY))
    mails.append(("enschede-body", "cur", "S", a, raw,
                  "(c) Enschede, nomination in the mail body (plain text, hard-wrapped, signature and disclaimer). "
                  "Confirmation: yes; on time; body only, about 1.1 A4 by the dev-set rule "
                  "(52 printed lines / 48; an estimator that rounds up says 2 pages): within the limit either way."))

    # (k) Bounce of our confirmation to Enschede (mailbox full).
    a = t(15, 16, 43, 31)
    conf_headers = ("Return-Path: <%s>\nReceived: by smtp-out.vng.nl (Postfix, from userid 1001)\n\tid 5D1E84C0A2; %s\n"
                    "From: Team Koplopers VN-Verdrag <%s>\nTo: Bart Kuipers <b.kuipers@enschede.nl>\n"
                    "Subject: Bevestiging van uw aanmelding KVN-0005\nDate: %s\n"
                    "Message-ID: <confirmation.KVN-0005@vng.nl>\nAuto-Submitted: auto-replied\n"
                    "X-Auto-Response-Suppress: All\nMIME-Version: 1.0\nContent-Type: multipart/alternative;\n"
                    "\tboundary=\"=_confirmation_KVN-0005\"\n"
                    % (VNG, rfcdate(t(15, 16, 43, 20)), VNG, rfcdate(t(15, 16, 43, 20))))
    dsn = ("Reporting-MTA: dns; smtp-out.vng.nl\nX-Postfix-Queue-ID: 5D1E84C0A2\nX-Postfix-Sender: rfc822; %s\n"
           "Arrival-Date: %s\n\nFinal-Recipient: rfc822; b.kuipers@enschede.nl\n"
           "Original-Recipient: rfc822;b.kuipers@enschede.nl\nAction: failed\nStatus: 5.2.2\n"
           "Remote-MTA: dns; mail.enschede.nl\n"
           "Diagnostic-Code: smtp; 552 5.2.2 <b.kuipers@enschede.nl>: Mailbox full\n"
           % (VNG, rfcdate(t(15, 16, 43, 20))))
    raw = message(["Return-Path: <>", "Delivered-To: %s" % VNG,
                   "Received: by mx1.vng.nl (Postfix)\n\tid 3zxqW02Nc8z2Bq1; %s" % rfcdate(a),
                   "Received: by smtp-out.vng.nl (Postfix)\n\tid 7A9F24C0B7; %s" % rfcdate(sec(a, 1)),
                   "Date: %s" % rfcdate(sec(a, 1)),
                   "From: MAILER-DAEMON@smtp-out.vng.nl (Mail Delivery System)",
                   "Subject: Undelivered Mail Returned to Sender",
                   "To: %s" % VNG,
                   "Auto-Submitted: auto-replied",
                   "Message-Id: <20180315154330.7A9F24C0B7@smtp-out.vng.nl>"],
                  multipart("report", "7A9F24C0B7.1521128610/smtp-out.vng.nl", [
                      "Content-Description: Notification\n" + text_part(
                          "This is the mail system at host smtp-out.vng.nl.\n\nI'm sorry to have to inform you that "
                          "your message could not\nbe delivered to one or more recipients. It's attached below.\n\n"
                          "For further assistance, please send mail to postmaster.\n\n"
                          "                   The mail system\n\n<b.kuipers@enschede.nl>: host mail.enschede.nl[198.51.100.53] said:\n"
                          "    552 5.2.2 <b.kuipers@enschede.nl>: Mailbox full (in reply to RCPT TO command)\n",
                          cte="8bit").replace('charset="utf-8"', 'charset="us-ascii"').replace("8bit", "7bit"),
                      "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n" + dsn,
                      "Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n" + conf_headers,
                  ], extra_ct=";\n\treport-type=delivery-status"))
    mails.append(("bounce-enschede", "cur", "S", a, raw,
                  "(k) Bounce (DSN, multipart/report, null sender) of our confirmation KVN-0005 to Enschede: mailbox full. "
                  "No confirmation; record the failed delivery for staff."))

    # (e) Apeldoorn, 4-page PDF: 16 March.
    a = t(16, 13, 20, 45)
    raw = message(envelope("w.hazelaar@apeldoorn.nl") + exchange_headers("apeldoorn.nl", a, "3zy4Zc6QpVz3Kd2", "198.51.100.88") + [
        "From: Willem Hazelaar <w.hazelaar@apeldoorn.nl>",
        "To: \"koplopers@vng.nl\" <%s>" % VNG,
        "Subject: Aanmelding Apeldoorn voor Koplopers VN-Verdrag Handicap (met bijlage)",
        "Date: %s" % rfcdate(sec(a, 3)),
        "Message-ID: <1c7d4e0b9a6f4d3e8b2a1f0e9d8c7b6a@EXMBX03.apeldoorn.local>",
        "Content-Language: nl-NL",
        "X-MS-Has-Attach: yes",
    ], multipart("mixed", "_002_1c7d4e0b9a6f4d3e8b2a1f0e9d8c7b6aEXMBX03_", [
        text_part("Geachte heer, mevrouw,\n\nHierbij onze aanmelding. De brief is twee pagina's; daarna volgt een "
                  "overzicht van onze projecten als bijlage.\n\nMet vriendelijke groet,\nWillem Hazelaar\n"
                  "Programmamanager Apeldoorn Inclusief\n"),
        attachment_part(docs["apeldoorn.pdf"], "application/pdf", "Aanmelding Apeldoorn Inclusief.pdf"),
    ]))
    mails.append(("apeldoorn-4pages", "cur", "S", a, raw,
                  "(e) Apeldoorn, one 4-page A4 PDF (2-page letter + 2-page annex in the same file). Confirmation: yes; "
                  "on time; over the limit by 2 pages."))

    # (k) Mailing list message: 19 March. Delivered because koplopers@vng.nl is subscribed.
    a = t(19, 8, 15, 2)
    raw = message(["Return-Path: <inclusienetwerk-bounces@lists.vng.nl>", "Delivered-To: %s" % VNG,
                   "Received: from lists.vng.nl (lists.vng.nl [192.0.2.25])\n\tby mx1.vng.nl (Postfix) with ESMTP id 3zzH1r3Tb4z4Mm8\n"
                   "\tfor <%s>; %s" % (VNG, rfcdate(a)),
                   "Received: from mail.haarlem.nl (mail.haarlem.nl [198.51.100.61])\n\tby lists.vng.nl (Postfix) with ESMTPS id 4A1B2C3D4E\n"
                   "\tfor <inclusienetwerk@lists.vng.nl>; %s" % rfcdate(sec(a, 20)),
                   "From: Anouk Smits <a.smits@haarlem.nl>",
                   "To: inclusienetwerk@lists.vng.nl",
                   "Subject: [Inclusienetwerk] Vraag: tellen bijlagen mee voor de twee A4?",
                   "Date: %s" % rfcdate(sec(a, 25)),
                   "Message-ID: <8b2f0c1d-4e5a-4b6c-9d7e-1f2a3b4c5d6e@haarlem.nl>",
                   "List-Id: Ambtelijk netwerk inclusie <inclusienetwerk.lists.vng.nl>",
                   "List-Unsubscribe: <https://lists.vng.nl/mailman/options/inclusienetwerk>,\n <mailto:inclusienetwerk-request@lists.vng.nl?subject=unsubscribe>",
                   "List-Post: <mailto:inclusienetwerk@lists.vng.nl>",
                   "List-Help: <mailto:inclusienetwerk-request@lists.vng.nl?subject=help>",
                   "Precedence: list",
                   "Sender: \"Inclusienetwerk\" <inclusienetwerk-bounces@lists.vng.nl>",
                   "Errors-To: inclusienetwerk-bounces@lists.vng.nl"],
                  text_part("Hallo collega's,\n\nWij werken aan onze aanmelding voor de Koplopers VN-Verdrag Handicap.\n"
                            "Weet iemand of een steunbrief van de adviesraad meetelt voor de\nmaximaal twee A4? En hebben "
                            "jullie de brief als pdf of als Word\ningestuurd?\n\nAlvast bedankt!\nAnouk Smits\n"
                            "Gemeente Haarlem\n\n_______________________________________________\nInclusienetwerk mailing list\n"
                            "inclusienetwerk@lists.vng.nl\nhttps://lists.vng.nl/mailman/listinfo/inclusienetwerk\n"))
    mails.append(("list-inclusienetwerk", "cur", "S", a, raw,
                  "(k) Mailing-list post (List-Id, Precedence: list) from a Haarlem civil servant asking a question. "
                  "Not a nomination; no automatic reply."))

    # (h) Nijmegen, corrected version: 19 March.
    a = t(19, 11, 5, 44)
    raw = message(envelope("l.verhoeven@nijmegen.nl") + exchange_headers("nijmegen.nl", a, "3zzQ2d7XkFz9vP4", "198.51.100.21") + [
        "From: Lotte Verhoeven <l.verhoeven@nijmegen.nl>",
        "To: Koplopers VN-Verdrag <%s>" % VNG,
        "Subject: Correctie: Aanmelding Koplopers VN-Verdrag Handicap gemeente Nijmegen",
        "Date: %s" % rfcdate(sec(a, 4)),
        "Message-ID: <7f3e2d1c0b9a48e7a6f5e4d3c2b1a090@mail.nijmegen.nl>",
        "References: %s" % nij_mid,
        "Content-Language: nl-NL",
        "X-Mailer: Microsoft Outlook 16.0",
    ], multipart("mixed", "----=_NextPart_000_0031_01D3BF6A.2B1C3D40", [
        text_part("Geachte heer, mevrouw,\n\nIn onze aanmelding van 9 maart stond een verkeerd bedrag en ontbrak de "
                  "toelichting op criterium 3. Hierbij de gecorrigeerde versie. Deze vervangt de brief van 9 maart.\n\n"
                  "Met vriendelijke groet,\n\nLotte Verhoeven\nBeleidsadviseur Sociaal Domein\nGemeente Nijmegen\n"),
        attachment_part(docs["nijmegen_v2.pdf"], "application/pdf", "Aanmelding Koplopers Nijmegen v2.pdf"),
    ]))
    mails.append(("nijmegen-v2", "cur", "S", a, raw,
                  "(h) Nijmegen, corrected version ('Correctie:'), new 1-page PDF, before the deadline. Confirmation: yes; on time; "
                  "new version of nijmegen-v1: supersedes KVN-0001."))

    # (i) Breda, iPhone with an inline PDF: 20 March, late evening.
    a = t(20, 22, 41, 17)
    raw = message(envelope("f.jacobs@breda.nl") + [
        received_vng("mail.breda.nl", "198.51.100.95", a, "3zzzK43cVqz5Tr0"),
        received_exchange("EXCAS01.breda.local (10.40.2.31)", "EXMBX02.breda.local (10.40.2.22)", sec(a, 2)),
    ] + [
        "From: Femke Jacobs <f.jacobs@breda.nl>",
        "Subject: Aanmelding Breda koploper",
        "Date: %s" % rfcdate(sec(a, 6)),
        "Message-Id: <3F1C2E0B-7D4A-4E55-9C1B-2A3F4B5C6D7E@breda.nl>",
        "To: %s" % VNG,
        "X-Mailer: iPhone Mail (15D100)",
    ], multipart("mixed", "Apple-Mail-8A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D", [
        "Content-Type: text/plain;\n\tcharset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nHierbij onze aanmelding. Excuus voor de late mail.\nGroet, Femke\n",
        attachment_part(docs["breda.pdf"], "application/pdf", "Aanmelding Breda.pdf", disposition="inline"),
        "Content-Type: text/plain;\n\tcharset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\n\nVerstuurd vanaf mijn iPhone\n",
    ]))
    mails.append(("breda-iphone", "new", None, a, raw,
                  "(i) Breda, iPhone mail; the PDF is a Content-Disposition: inline part between two text parts "
                  "('Verstuurd vanaf mijn iPhone'). Confirmation: yes; on time; 1 page."))

    # (j) Dordrecht, Outlook, ODT + support letter PDF: 21 March.
    a = t(21, 16, 20, 9)
    html = ("<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
            "xmlns:w=\"urn:schemas-microsoft-com:office:word\">\n<head>\n<meta http-equiv=\"Content-Type\" "
            "content=\"text/html; charset=utf-8\">\n<meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\n"
            "<style><!--\np.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; margin-bottom:.0001pt; font-size:11.0pt; "
            "font-family:\"Calibri\",sans-serif;}\n--></style>\n</head>\n<body lang=\"NL\" link=\"#0563C1\" vlink=\"#954F72\">\n"
            "<div class=\"WordSection1\">\n<p class=\"MsoNormal\">Geachte heer, mevrouw,<o:p></o:p></p>\n"
            "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n<p class=\"MsoNormal\">Hierbij ontvangt u de aanmelding van "
            "de gemeente Dordrecht voor het programma Koplopers VN-Verdrag Handicap. Ook stuur ik de steunbrief van "
            "onze Adviesraad Sociaal Domein mee.<o:p></o:p></p>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n"
            "<p class=\"MsoNormal\">Met vriendelijke groet,<o:p></o:p></p>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n"
            "<p class=\"MsoNormal\"><b>Nadia el Khatib</b><o:p></o:p></p>\n<p class=\"MsoNormal\">Beleidsadviseur "
            "Inclusie | Gemeente Dordrecht<o:p></o:p></p>\n</div>\n</body>\n</html>\n")
    plain = ("Geachte heer, mevrouw,\n\nHierbij ontvangt u de aanmelding van de gemeente Dordrecht voor het programma "
             "Koplopers VN-Verdrag Handicap. Ook stuur ik de steunbrief van onze Adviesraad Sociaal Domein mee.\n\n"
             "Met vriendelijke groet,\n\nNadia el Khatib\nBeleidsadviseur Inclusie | Gemeente Dordrecht\n")
    raw = message(envelope("n.elkhatib@dordrecht.nl") + exchange_headers("dordrecht.nl", a, "4009Hb5ZrTz6Wq3", "198.51.100.102") + [
        "From: \"Khatib, Nadia el\" <n.elkhatib@dordrecht.nl>",
        "To: \"koplopers@vng.nl\" <%s>" % VNG,
        "Subject: Aanmelding Dordrecht Koplopers VN-Verdrag Handicap + steunbrief",
        "Thread-Topic: Aanmelding Dordrecht Koplopers VN-Verdrag Handicap + steunbrief",
        "Thread-Index: AdPBHk2mT1q8Ye0sQb6L7cX9w4eZrA==",
        "Date: %s" % rfcdate(sec(a, 5)),
        "Message-ID: <DB6PR0902MB1847C3A9E0F24B0D8E6A5B2CC4D70@DB6PR0902MB1847.eurprd09.prod.outlook.com>",
        "Accept-Language: nl-NL, en-US",
        "Content-Language: nl-NL",
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator:",
        "X-Mailer: Microsoft Outlook 16.0",
    ], multipart("mixed", "_004_DB6PR0902MB1847C3A9E0F24B0D8E6A5B2CC4D70DB6PR0902MB1847_", [
        multipart("alternative", "_000_DB6PR0902MB1847C3A9E0F24B0D8E6A5B2CC4D70DB6PR0902MB1847_", [
            text_part(plain), text_part(html, subtype="html")]),
        attachment_part(docs["dordrecht.odt"], "application/vnd.oasis.opendocument.text",
                        "Aanmelding Dordrecht – Koplopers VN-Verdrag.odt", style="2047"),
        attachment_part(docs["dordrecht_steun.pdf"], "application/pdf",
                        "Steunbrief Adviesraad Sociaal Domein Dordrecht.pdf", style="2047"),
    ]))
    mails.append(("dordrecht-odt-steunbrief", "new", None, a, raw,
                  "(j) Dordrecht, Outlook (multipart/alternative text+HTML) with an ODT letter (non-ASCII RFC 2047 file "
                  "name) and a 1-page support letter PDF from the Adviesraad Sociaal Domein. "
                  "Confirmation: yes; on time; 1 counted page (ODT meta:page-count 1); the support letter (1 page) does not count."))

    # (d) Heerlen, late: arrives 22 March 00:00:30 (Date header still says 21 March 23:59:41).
    a = t(22, 0, 0, 30)
    raw = message(envelope("j.crombach@heerlen.nl") + exchange_headers("heerlen.nl", a, "400Kx02TmRz7Ys5", "198.51.100.117") + [
        "From: Jo Crombach <j.crombach@heerlen.nl>",
        "To: %s" % VNG,
        "Subject: Aanmelding Heerlen Koplopers VN-Verdrag Handicap",
        "Date: %s" % rfcdate(t(21, 23, 59, 41)),
        "Message-ID: <5AB2E3A5020000B70004D1E2@mail.heerlen.nl>",
        "Content-Language: nl-NL",
    ], multipart("mixed", "=_mixed 0059A4C7C12582530059A4C7C1258253_=", [
        text_part("Geachte heer, mevrouw,\n\nNet op tijd, hopen wij: bijgaand de aanmelding van de gemeente Heerlen.\n\n"
                  "Met vriendelijke groet,\nJo Crombach\n"),
        attachment_part(docs["heerlen.pdf"], "application/pdf", "Aanmelding Heerlen.pdf"),
    ]))
    mails.append(("heerlen-late", "new", None, a, raw,
                  "(d) Heerlen, 1-page PDF; arrives 30 seconds after midnight, so after the deadline "
                  "(its Date header, 21 March 23:59:41, would look on time: the arrival counts). Confirmation: yes; late "
                  "(with late_policy accept: assessed and marked late)."))

    return mails


def body_mail(frm_name, frm, subject, arrival, date, mid, body, helo, ip, qid, extra=(), vng_stamp=None):
    top = vng_stamp or received_vng(helo, ip, arrival, qid)
    return message(envelope(frm) + [top, received_plain("[10.0.0.5] (unknown [10.0.0.5])", "%s (Postfix)" % helo,
                                                        date, proto="ESMTPSA", qid="1F2E3D4C5B")] + [
        "From: %s" % mailbox(frm_name, frm),
        "To: %s" % VNG,
        "Subject: %s" % hdr(subject),
        "Date: %s" % rfcdate(date),
        "Message-ID: %s" % mid,
    ] + list(extra), text_part(body))


def pdf_mail(frm_name, frm, subject, arrival, date, mid, note, pdf, filename, helo, ip, qid, extra=()):
    return message(envelope(frm) + exchange_headers(frm.split("@")[1], arrival, qid, ip)[:1] + [
        received_exchange("EXCH01.gemeente.local (10.20.1.11)", "EXCH02.gemeente.local (10.20.1.12)", date)] + [
        "From: %s" % mailbox(frm_name, frm),
        "To: %s" % VNG,
        "Subject: %s" % hdr(subject),
        "Date: %s" % rfcdate(date),
        "Message-ID: %s" % mid,
    ] + list(extra), multipart("mixed", "----=_Part_%s" % qid, [
        text_part(note), attachment_part(pdf, "application/pdf", filename)]))


def fixtures(docs):
    """Returns [(file name, raw bytes)]; expectations are in tests/fixtures/mail/README.md."""
    out = []

    a = t(16, 11, 25, 40)
    out.append(("werkorganisatie-hltsamen.eml", body_mail(
        "Marloes van der Meer", "m.vandermeer@hltsamen.nl",
        "Aanmelding gemeente Teylingen - Koplopers VN-Verdrag Handicap", a, sec(a, 3),
        "<20180316102537.4471@hltsamen.nl>",
        "Geachte heer, mevrouw,\n\nNamens het college van burgemeester en wethouders van Teylingen meld ik\n"
        "de gemeente Teylingen aan voor het programma Koplopers VN-Verdrag\nHandicap.\n\n"
        "De raad van Teylingen heeft in 2017 de inclusieagenda 'Teylingen doet\nmee' vastgesteld. Wethouder "
        "mevr. A. Zandbergen is portefeuillehouder.\nInwoners met een beperking hebben de agenda mee geschreven "
        "en bepalen\nmee welke projecten voorrang krijgen.\n\nIn Sassenheim, Voorhout en Warmond testen "
        "ervaringsdeskundigen elk\njaar de toegankelijkheid van de dorpscentra. Daar hebben ook ouderen\nen "
        "ouders met kinderwagens profijt van.\n\nMet vriendelijke groet,\n\nMarloes van der Meer\n"
        "Beleidsadviseur Sociaal Domein\nWerkorganisatie HLTsamen, namens de gemeente Teylingen\n"
        "(HLTsamen werkt voor de gemeenten Hillegom, Lisse en Teylingen)\n",
        "mail.hltsamen.nl", "203.0.113.71", "3zyQ7n1HtKz8Rr2")))

    a = t(15, 14, 5, 12)
    out.append(("letterhead-other-municipality.eml", pdf_mail(
        "Ruud Peeters", "r.peeters@venlo.nl", "Aanmelding Koplopers VN-Verdrag Handicap", a, sec(a, 4),
        "<5AAA7CE0020000C20003A9B1@mail.venlo.nl>",
        "Geachte heer, mevrouw,\n\nAls regionaal projectleider Noord-Limburg stuur ik u namens het college\n"
        "de aanmelding in die in de bijlage staat.\n\nMet vriendelijke groet,\nRuud Peeters\n"
        "Projectleider Sociaal Domein regio Noord-Limburg\n",
        docs["peelenmaas.pdf"], "Aanmelding Koplopers.pdf", "mail.venlo.nl", "198.51.100.130", "3zxm4F2QvLz5Pp7")))

    a = t(17, 10, 44, 3)
    out.append(("ambiguous-bergen-limburg.eml", body_mail(
        "Adviesraad Sociaal Domein Bergen", "asd.bergen@kpnmail.nl",
        "Aanmelding gemeente Bergen als koploper", a, sec(a, 2),
        "<000501d3bdcb$1a2b3c40$4e5f6a70$@kpnmail.nl>",
        "Geachte heer, mevrouw,\n\nDe Adviesraad Sociaal Domein meldt, met instemming van het college,\n"
        "de gemeente Bergen aan voor het programma Koplopers VN-Verdrag Handicap.\n\n"
        "Onze gemeente ligt in Noord-Limburg, aan de Maas, en bestaat uit de\nkernen Afferden, Bergen, "
        "Siebengewald, Well en Wellerlooi. Als kleine\nplattelandsgemeente in de provincie Limburg werken wij "
        "veel samen met\nde buurgemeenten.\n\nDe gemeenteraad van Bergen heeft in 2017 een inclusieagenda\n"
        "vastgesteld. De adviesraad heeft die agenda mee geschreven; de leden\nmet een beperking kozen de "
        "prioriteiten. In elk dorp is nu een\ntoegankelijk ontmoetingspunt, dat ook door ouderen veel wordt\n"
        "gebruikt.\n\nMet vriendelijke groet,\n\nH. Geurts, secretaris\nAdviesraad Sociaal Domein Bergen\n",
        "smtp.kpnmail.nl", "203.0.113.12", "3zyX2b7MfDz1Ab5")))

    a = t(18, 20, 13, 57)
    out.append(("unidentified-gmail.eml", body_mail(
        "Joke Willemsen", "joke.willemsen1961@gmail.com", "aanmelding koploper", a, sec(a, 2),
        "<CAH7x9Zq1kP3vR2mW8sT4uY6bN0cD5eF7gH9jK1lM3nO5pQ7rS@mail.gmail.com>",
        "Beste VNG,\n\nIk wil graag mijn gemeente aanmelden als koploper. Ik zit zelf in een\nrolstoel en ik vind "
        "dat onze gemeente het goed doet. Het gemeentehuis\nis helemaal toegankelijk en de wethouder komt elk jaar "
        "bij ons\npanel langs. Wij mogen meepraten over nieuwe plannen.\n\nGroetjes,\nJoke\n",
        "mail-wr1-f54.google.com", "209.85.221.54", "3zyy9c1XvGz6Cd8",
        extra=["X-Gm-Message-State: AElRT7HqFz3kL9pQw2x", "User-Agent: Gmail"])))

    a = t(21, 23, 59, 59)
    out.append(("deadline-exact-235959.eml", body_mail(
        "Anouk Smits", "a.smits@haarlem.nl", "Aanmelding gemeente Haarlem Koplopers VN-Verdrag Handicap", a,
        sec(a, 5), "<9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a@haarlem.nl>",
        "Geachte heer, mevrouw,\n\nHierbij meldt het college van burgemeester en wethouders van Haarlem de\n"
        "gemeente Haarlem aan als koploper VN-Verdrag Handicap.\n\nDe raad heeft de Haarlemse inclusieagenda "
        "vastgesteld. Een panel van\nervaringsdeskundigen heeft die geschreven en bepaalt de prioriteiten.\n"
        "Nieuw is de toegankelijke Grote Markt, die ook voor ouderen en\nkinderwagens beter werkt.\n\n"
        "Met vriendelijke groet,\nAnouk Smits\nGemeente Haarlem\n",
        "mail.haarlem.nl", "198.51.100.61", "400JZ45RtVz7Ys1")))

    a = t(22, 0, 0, 0)
    out.append(("deadline-first-late-second.eml", body_mail(
        "Pieter Hoekstra", "p.hoekstra@gemeentesudwestfryslan.nl",
        "Aanmelding Súdwest-Fryslân Koplopers VN-Verdrag Handicap", a, sec(a, 9),
        "<2a4c6e8f-0b1d-4f3a-9c5e-7a9b1c3d5e7f@gemeentesudwestfryslan.nl>",
        "Geachte heer, mevrouw,\n\nHierbij meldt de gemeente Súdwest-Fryslân zich aan als koploper.\n\n"
        "Onze inclusieagenda is door de raad vastgesteld en samen met inwoners\nmet een beperking geschreven. "
        "In Sneek en Bolsward zijn de\nwinkelstraten door ervaringsdeskundigen getest en aangepast.\n\n"
        "Mei freonlike groetnis,\nPieter Hoekstra\nGemeente Súdwest-Fryslân\n",
        "mail.gemeentesudwestfryslan.nl", "198.51.100.140", "400Kx00AbCz7Ys0")))

    # DST: 25 March 2018, clocks go from 02:00 CET to 03:00 CEST. The sender stamps 01:59:58 +0100, our
    # server stamps 03:00:10 +0200 (with a Postfix-style "(CEST)" comment): 12 seconds apart.
    a = dt.datetime(2018, 3, 25, 3, 0, 10, tzinfo=CEST)
    out.append(("dst-edge-20180325.eml", body_mail(
        "Youssef Amrani", "y.amrani@utrecht.nl", "Aanmelding gemeente Utrecht Koplopers VN-Verdrag", a,
        dt.datetime(2018, 3, 25, 1, 59, 58, tzinfo=CET), "<b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e@utrecht.nl>",
        "Geachte heer, mevrouw,\n\nExcuus voor de late aanmelding. Hierbij meldt het college van burgemeester\n"
        "en wethouders van Utrecht de gemeente Utrecht aan als koploper.\n\nDe Utrechtse inclusieagenda is "
        "samen met de Adviesraad Sociaal Domein\ngeschreven. Ervaringsdeskundigen bepalen mee welke projecten "
        "voorgaan.\n\nMet vriendelijke groet,\nYoussef Amrani\nGemeente Utrecht\n",
        "mail.utrecht.nl", "198.51.100.150", "401Ab12CdEz9Zz3",
        vng_stamp=received_vng("mail.utrecht.nl", "198.51.100.150", a, "401Ab12CdEz9Zz3") + " (CEST)")))

    a1 = t(20, 11, 2, 30)
    almere_mid = "<5AB0DD56020000D10005E3F4@mail.almere.nl>"
    out.append(("version-ontime-almere.eml", pdf_mail(
        "Marieke de Vries", "m.devries@almere.nl", "Aanmelding gemeente Almere Koplopers VN-Verdrag Handicap",
        a1, sec(a1, 4), almere_mid,
        "Geachte heer, mevrouw,\n\nBijgaand de aanmelding van de gemeente Almere.\n\nMet vriendelijke groet,\n"
        "Marieke de Vries\nGemeente Almere\n",
        docs["almere_v1.pdf"], "Aanmelding Almere.pdf", "mail.almere.nl", "198.51.100.160", "400Ea71GhJz6Kk2")))
    a2 = t(22, 9, 15, 8)
    out.append(("version-late-almere.eml", pdf_mail(
        "Marieke de Vries", "m.devries@almere.nl",
        "Aanvulling: Aanmelding gemeente Almere Koplopers VN-Verdrag Handicap", a2, sec(a2, 4),
        "<5AB365F0020000D10005E7A1@mail.almere.nl>",
        "Geachte heer, mevrouw,\n\nWij zijn vergeten het derde criterium toe te lichten. Hierbij een\n"
        "aangevulde versie van onze aanmelding van 20 maart.\n\nMet vriendelijke groet,\nMarieke de Vries\n"
        "Gemeente Almere\n",
        docs["almere_v2.pdf"], "Aanmelding Almere aangevuld.pdf", "mail.almere.nl", "198.51.100.160",
        "400Lm82NpQz6Kk7", extra=["In-Reply-To: %s" % almere_mid, "References: %s" % almere_mid])))
    return out


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------

def build_docs():
    created = dt.datetime(2018, 3, 13, 15, 20, 0)
    return {
        "zwolle.pdf": make_pdf(ZWOLLE, ZWOLLE["title"], "Ilse Bosman", font_size=11.5),
        "tilburg.docx": make_docx(TILBURG, "Sanne Aerts", created, pages_in_app_xml=2),
        "leeuwarden.pdf": make_pdf(LEEUWARDEN, LEEUWARDEN["title"], "Sietske de Boer"),
        "nijmegen_v1.pdf": make_pdf(NIJMEGEN_V1, NIJMEGEN_V1["title"], "Lotte Verhoeven"),
        "nijmegen_v2.pdf": make_pdf(NIJMEGEN_V2, NIJMEGEN_V2["title"], "Lotte Verhoeven", font_size=11.5),
        "apeldoorn.pdf": make_pdf(APELDOORN, APELDOORN["title"], "Willem Hazelaar", font_size=11.5),
        "breda.pdf": make_pdf(BREDA, BREDA["title"], "Femke Jacobs"),
        "dordrecht.odt": make_odt(DORDRECHT, "Nadia el Khatib", "2018-03-21T15:02:00", page_count=1),
        "dordrecht_steun.pdf": make_pdf(DORDRECHT_STEUN, DORDRECHT_STEUN["title"], "Adviesraad Sociaal Domein Dordrecht"),
        "heerlen.pdf": make_pdf(HEERLEN, HEERLEN["title"], "Jo Crombach"),
        "peelenmaas.pdf": make_pdf(PEEL_EN_MAAS, PEEL_EN_MAAS["title"], "Mieke Janssen"),
        "almere_v1.pdf": make_pdf(ALMERE_V1, ALMERE_V1["title"], "Marieke de Vries"),
        "almere_v2.pdf": make_pdf(ALMERE_V2, ALMERE_V2["title"], "Marieke de Vries"),
    }


def write_maildir(mails):
    for sub in ("cur", "new", "tmp"):
        path = os.path.join(MAILDIR, sub)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path)
    # git keeps no empty folders; Maildir readers skip names starting with a dot.
    open(os.path.join(MAILDIR, "tmp", ".gitkeep"), "w").close()
    names = []
    for i, (key, folder, flags, arrival, raw, note) in enumerate(mails):
        name = maildir_name(arrival, 100000 + i * 7919 % 900000, 23000 + i * 17, flags)
        path = os.path.join(MAILDIR, folder, name)
        with open(path, "wb") as f:
            f.write(raw)
        ts = arrival.timestamp()
        os.utime(path, (ts, ts))
        names.append((folder + "/" + name, key, arrival, note))
    return names


MAILDIR_README_HEAD = """# examples/mailbox: a sample Maildir

A Maildir (`cur/`, `new/`, `tmp/`) with the mail that reached `koplopers@vng.nl` during the call
"Koplopers VN-Verdrag Handicap" (deadline: uiterlijk 21 maart 2018, i.e. up to and including
21 March 2018 23:59:59 Europe/Amsterdam; at most 2 A4). Generated by `scripts/make-samples.py`
(committed output; nothing at build or test time needs Python). All letters, persons, projects and
numbers are fictional; municipalities and their e-mail domains are real (`data/gemeenten.csv`);
IP addresses are documentation ranges.

- Arrival time = the date of the topmost `Received:` header (stamped by `mx1.vng.nl`); every mail
  also has a `Date:` header and older sender-side `Received:` headers. The file name starts with the
  same instant in Unix seconds; the generator also sets the file mtime to it, but git does not keep
  mtimes, so do not rely on them.
- Names: `<secs>.M<usec>P<pid>.mx1:2,S` in `cur/` (seen), `<secs>.M<usec>P<pid>.mx1` in `new/`
  (not yet seen, no info suffix, as an MDA delivers them). The unique name is the part before `:2,`.
- `tmp/.gitkeep` only keeps the empty `tmp/` in git; by Maildir convention readers skip dot-files.
- References (`KVN-000n`) below assume intake numbers the nominations in arrival order; the
  auto-reply and the bounce refer to KVN-0002 and KVN-0005 in that numbering.

Processed in arrival order, intake should end with 14 stored mails: 10 submissions (references
KVN-0001 to KVN-0010) from 9 municipalities, where KVN-0007 (Nijmegen) supersedes KVN-0001, so 9
current nominations, one of them late (Heerlen) and one over the page limit (Apeldoorn); 1 duplicate
(no new submission); 3 mails that are not nominations and get no reply (auto-reply, bounce, list).
10 confirmations in total.

| file | what it is and what intake should do |
|---|---|
"""


NOT_SUBMISSIONS = {"zwolle-autoreply", "leeuwarden-2", "bounce-enschede", "list-inclusienetwerk"}


def write_maildir_readme(names):
    lines = [MAILDIR_README_HEAD.rstrip("\n")]
    refs = {}
    for path, key, arrival, note in names:
        if key not in NOT_SUBMISSIONS:
            refs[key] = "KVN-%04d" % (len(refs) + 1)
        ref = " (%s)" % refs[key] if key in refs else ""
        lines.append("| `%s` | **%s**%s, arrives %s. %s |" % (path, key, ref, arrival.strftime("%Y-%m-%d %H:%M:%S %z"), note))
    lines.append("")
    with open(os.path.join(MAILDIR, "README.md"), "w") as f:
        f.write("\n".join(lines))


FIXTURES_README = """# tests/fixtures/mail: single mails for the assessment tests

Generated by `scripts/make-samples.py` (committed output; tests need no Python). Fictional letters,
persons and numbers; real municipalities and e-mail domains (`data/gemeenten.csv`); IP addresses are
documentation ranges. Deadline of the call: 21 March 2018 23:59:59 Europe/Amsterdam (CET, +01:00),
i.e. 2018-03-21T22:59:59Z is the last second on time. The arrival time is the date of the topmost
`Received:` header (stamped by `mx1.vng.nl`); `Date:` and the sender's own `Received:` are older.

| file | case | arrival (topmost Received) | expected outcome |
|---|---|---|---|
| `werkorganisatie-hltsamen.eml` | sender on a *werkorganisatie* domain (`hltsamen.nl`, shared by Hillegom, Lisse and Teylingen; not in gemeenten.csv); nomination in the body | 2018-03-16 11:25:40 +01:00 (10:25:40Z) | municipality **Teylingen (GM1525)** from the text (`college van burgemeester en wethouders van Teylingen`, `gemeente Teylingen`, signature `namens de gemeente Teylingen`); the signature line listing `Hillegom, Lisse en Teylingen` must not make Hillegom or Lisse win. On time; body only; confirmation yes. |
| `letterhead-other-municipality.eml` | sender domain `venlo.nl` (Venlo, GM0983), PDF letter on the letterhead `Gemeente Peel en Maas`, place line `Panningen` (a village in Peel en Maas), signed `namens het college van burgemeester en wethouders van Peel en Maas` | 2018-03-15 14:05:12 +01:00 | municipality **Peel en Maas (GM1894)** from the letter; the sender-domain mismatch (Venlo) is reported for staff review, not silently resolved to Venlo. On time; 1-page A4 PDF; confirmation yes. |
| `ambiguous-bergen-limburg.eml` | free-mail sender (`kpnmail.nl`); text says only `gemeente Bergen`, with province cues `Noord-Limburg`, `provincie Limburg` and the villages Afferden, Siebengewald, Well, Wellerlooi | 2018-03-17 10:44:03 +01:00 | municipality **Bergen (L.) (GM0893)**, never Bergen (NH.) (GM0373). On time; body only; confirmation yes. |
| `unidentified-gmail.eml` | resident on `gmail.com`; no municipality, place or province named anywhere | 2018-03-18 20:13:57 +01:00 | municipality **none** (unknown): route to staff; the confirmation asks which municipality it is for (`municipality` = none in the letter context). On time; body only. |
| `deadline-exact-235959.eml` | Haarlem (GM0392), arrival exactly at the last second | 2018-03-21 23:59:59 +01:00 (22:59:59Z) | **on time** (`uiterlijk 21 maart` includes 23:59:59). Body only; confirmation yes. |
| `deadline-first-late-second.eml` | Súdwest-Fryslân (GM1900, mail domain `gemeentesudwestfryslan.nl`, web domain differs), arrival at midnight | 2018-03-22 00:00:00 +01:00 (2018-03-21T23:00:00Z) | **late by 1 second** (with no grace period). Body only; confirmation yes, saying it is late. |
| `dst-edge-20180325.eml` | Utrecht (GM0344); arrives across the start of summer time (25 March 2018: 02:00 CET jumps to 03:00 CEST, so 02:30 local does not exist). Sender stamp and `Date:` `Sun, 25 Mar 2018 01:59:58 +0100`; our stamp `Sun, 25 Mar 2018 03:00:10 +0200 (CEST)` (note the trailing comment, as Postfix writes it) | 2018-03-25 03:00:10 +02:00 = **2018-03-25T01:00:10Z** | arrival 01:00:10Z, shown as `25 maart 2018 om 03.00 uur`; transit from `Date:` is 12 seconds, not 1 h 00 min 12 s; **late** by 3 days 2 h 0 min 11 s (from 22:59:59Z on 21 March). Body only; confirmation yes. |
| `version-ontime-almere.eml` | Almere (GM0034), first version, 1-page PDF | 2018-03-20 11:02:30 +01:00 | **on time**; a normal submission; confirmation yes. Load it before the next file. |
| `version-late-almere.eml` | Almere again, subject `Aanvulling: ...`, same sender, `In-Reply-To`/`References` = the Message-ID of `version-ontime-almere.eml`, new 1-page PDF | 2018-03-22 09:15:08 +01:00 | a **new version after the deadline** of the on-time one: recorded as a version (supersedes the on-time reference) with `version_late = true`; the **on-time version stays the one assessed**; the confirmation says the new version cannot be taken into account. |
"""


PROOF_BASE = dict(
    call_title="Koplopers VN-Verdrag Handicap", reference="KVN-0007", sender_name="Marieke de Vries",
    municipality="Gemeente Almere", received_nl="14 maart 2018 om 10.12 uur", deadline_nl="21 maart 2018 om 23.59 uur",
    on_time=True, late_by_nl=None, late_policy="accept",
    documents=[dict(name="Aanmelding Almere.pdf", kind_nl="PDF-bestand", pages_nl="2 pagina's", paper_nl="A4",
                    counted=True, support_letter=False, problem_nl=None)],
    body_only=False, counted_pages=2, max_pages=2, over_by=None, pages_estimated=False, problems=[], supersedes=None,
    version_late=False, decision_expected_nl="mei 2018", contact_address="koplopers@vng.nl",
    signature="Team Koplopers VN-Verdrag, VNG")
PROOF_CASES = {
    "ok": {},
    "problems": dict(sender_name=None, municipality=None, on_time=False, late_by_nl="2 uur", counted_pages=4, over_by=2,
                     pages_estimated=True, problems=["De e-mail had ook een bijlage die wij niet kennen (winmail.dat)."],
                     documents=[dict(name="brief.docx", kind_nl="Word-bestand", pages_nl="4 pagina's", paper_nl="Letter",
                                     counted=True, support_letter=False, problem_nl=None),
                                dict(name="steunbrief.pdf", kind_nl="PDF-bestand", pages_nl="1 pagina", paper_nl="A4",
                                     counted=False, support_letter=True,
                                     problem_nl="Dit is een scan zonder tekst. Wilt u de brief ook als tekst-pdf of Word-bestand sturen?"),
                                dict(name="geheim.pdf", kind_nl="PDF-bestand", pages_nl="aantal pagina's onbekend", paper_nl=None,
                                     counted=False, support_letter=False,
                                     problem_nl="Dit bestand is beveiligd met een wachtwoord. Wij kunnen het niet openen.")]),
    "late-reject": dict(on_time=False, late_by_nl="30 seconden", late_policy="reject"),
    "body-only": dict(body_only=True, pages_estimated=True, counted_pages=1,
                      documents=[dict(name="Tekst van de e-mail", kind_nl="tekst in de e-mail", pages_nl="1 pagina",
                                      paper_nl=None, counted=True, support_letter=False, problem_nl=None)]),
    "new-version": dict(supersedes="KVN-0003"),
    "version-late": dict(supersedes="KVN-0003", version_late=True, on_time=False, late_by_nl="1 dag"),
    "no-documents": dict(documents=[], counted_pages=None),
}


def proof(out_dir):
    import minijinja
    tdir = os.path.join(ROOT, "config", "templates")
    env = minijinja.Environment(loader=lambda n: open(os.path.join(tdir, n), encoding="utf-8").read(),
                                pycompat=False, undefined_behavior="strict")
    os.makedirs(out_dir, exist_ok=True)
    for case, over in PROOF_CASES.items():
        ctx = dict(PROOF_BASE, **over)
        for name, ext in (("confirmation.txt.j2", "txt"), ("confirmation.html.j2", "html")):
            with open(os.path.join(out_dir, "%s.%s" % (case, ext)), "w", encoding="utf-8") as f:
                f.write(env.render_template(name, **ctx))
    print("rendered %d cases into %s" % (len(PROOF_CASES), out_dir))


def main():
    if "--proof" in sys.argv:
        proof(sys.argv[sys.argv.index("--proof") + 1])
        return
    # odfpy writes XML namespaces in set order: fix the hash seed so the ODT bytes are reproducible.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    docs = build_docs()
    if "--check" in sys.argv:
        import subprocess
        import tempfile
        for name, data in docs.items():
            with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1]) as f:
                f.write(data)
                f.flush()
                if name.endswith(".pdf"):
                    info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
                    pages = [l for l in info.splitlines() if l.startswith(("Pages", "Page size"))]
                    print(name, pages)
    mails = mailbox_mails(docs)
    names = write_maildir(mails)
    write_maildir_readme(names)
    for path, key, arrival, note in names:
        print("%-45s %-26s %s" % (path, key, arrival.isoformat()))
    os.makedirs(FIXTURES, exist_ok=True)
    for name, raw in fixtures(docs):
        with open(os.path.join(FIXTURES, name), "wb") as f:
            f.write(raw)
        print("fixture", name)
    with open(os.path.join(FIXTURES, "README.md"), "w") as f:
        f.write(FIXTURES_README)


if __name__ == "__main__":
    main()
