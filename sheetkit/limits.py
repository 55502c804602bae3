"""Excel's limits on a sheet, in one place (tests lower them to prove what happens at the edge).

Read them as ``limits.SHEET_ROWS`` at the moment of use, not imported by name, so a lowered
limit is seen everywhere at once.
"""

SHEET_ROWS = 1_048_576  # rows per sheet, in Excel and in LibreOffice 7.x
SHEET_COLUMNS = 16_384  # columns per sheet (A to XFD)
MOST_PARTS = 4  # a long table that would need more sheets than this is kept out of the workbook, as CSV
