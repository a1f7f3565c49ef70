"""The files officers receive in chat (handlers.ports.ReportFiles): the composition root hands
one of these to the conversation, so handlers never import the file writers."""

from __future__ import annotations

from bot.exports import xlsx
from content.texts import Texts
from handlers.reports.figures import Figures


class ExportFiles:
    """Charts as PNG bytes and the assessment export as .xlsx bytes."""

    def figures_png(self, figures: Figures, texts: Texts) -> bytes:
        from bot.exports import charts  # matplotlib loads when a chart is first asked for

        return charts.figures_png(figures, texts)

    def responses_xlsx(self, headers, rows, summary, lang, texts, notes) -> bytes:  # noqa: ANN001
        """handlers.ports.ReportFiles.responses_xlsx: the export as .xlsx bytes."""
        book = xlsx.responses_workbook(
            headers, rows, summary=summary, lang=lang, texts=texts, notes=notes
        )
        return xlsx.to_bytes(book)
