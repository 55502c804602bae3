"""The sample exercise and filling workbooks as respondents would (needs openpyxl, the
``samples`` extra): used by ``sheetkit samples``, the tests and the benchmark.
"""
