"""舆情日报 / 周报: data (``build``), charts as PNG (``charts``), HTML and Word
renderings (``render``), and the files, schedule and on-demand generation
(``service``)."""
