"""What officers take away from the quick assessment and the bot's use: the export table
(responses.py), the three SXSH figures by sector (summary.py) and the figures `/stats` and
`sxsh-bot report` show (figures.py). Plain data out; bot/exports/ writes the files."""
