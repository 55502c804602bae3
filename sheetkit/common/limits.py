"""Excel's limits on a sheet, in one place (tests lower them to prove what happens at the edge).

Read them as ``limits.SHEET_ROWS`` at the moment of use, not imported by name, so a lowered
limit is seen everywhere at once.
"""

SHEET_ROWS = 1_048_576  # rows per sheet, in Excel and in LibreOffice 7.x
SHEET_COLUMNS = 16_384  # columns per sheet (A to XFD)
MOST_PARTS = 4  # a long table that would need more sheets than this is kept out of the workbook, as CSV
TEXT_LIMIT = 32_767  # characters (UTF-16 code units) in one cell
LABEL_LIMIT = 255  # a data-validation prompt, and a dropdown list typed into the rule
ERROR_MESSAGE_LIMIT = 224  # a data-validation error message (not 255)
TITLE_LIMIT = 32  # a data-validation prompt's or error's title
SHEET_NAME_LIMIT = 31  # UTF-16 code units, as Excel counts
PROPERTY_LIMIT = 255  # characters in a document property's value: every fact a workbook records about its respondent
