"""Files officers take away: Excel workbooks (xlsx.py), CSV (csvfile.py) and chart images
(charts.py), from the plain data of handlers/reports/; each writes atomically (files.py)."""
