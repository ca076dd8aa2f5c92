"""Reports: terminal tables, the Excel workbook and the plots (each a view of the results)."""
