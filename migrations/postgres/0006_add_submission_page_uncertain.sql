-- Why a submission's page count is too unsure to judge the page limit on: `near_limit` (an
-- estimate or metadata count within one page of the limit) or `metadata_disagrees` (the file's
-- own count and the estimate from its text differ by more than one page). NULL when the count is
-- sure (counted from PDF pages or a LibreOffice rendering, or far from the limit). Staff see
-- "controleer lengte"; the confirmation says a person checks the length.
ALTER TABLE submissions ADD COLUMN page_uncertain TEXT;
