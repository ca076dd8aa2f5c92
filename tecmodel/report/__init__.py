"""Reports: terminal tables, the Excel workbook and the figures (each a view of the results)."""
