-- Where a document's text came from (issue 16, OCR): `text` (the file's own characters), `ocr`
-- (read by Tesseract from page images: a scan or a photo) or `mixed` (some pages each way).
ALTER TABLE documents ADD COLUMN text_basis TEXT NOT NULL DEFAULT 'text';
-- Tesseract's mean word confidence of the OCR text, in percent; NULL without OCR.
ALTER TABLE documents ADD COLUMN ocr_confidence REAL;
