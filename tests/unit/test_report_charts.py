"""Report charts: axis labels are exact whole numbers and cover the peak."""
import io

import pytest
from PIL import Image

from console.reports.charts import axis_step, trend


@pytest.mark.parametrize("peak, step", [(0, 1), (4, 1), (5, 2), (8, 2), (9, 5), (20, 5), (21, 10), (41, 20),
                                        (399, 100), (401, 200)])
def test_axis_step_is_readable_and_reaches_the_peak(peak, step):
    assert axis_step(peak) == step and step * 4 >= peak


def test_trend_chart_is_a_png_of_the_requested_size():
    png = trend(["2026-11-23", "2026-11-24"], [4, 5], [3, 4], "每日信息量与负面占比", width=600, height=300)
    assert Image.open(io.BytesIO(png)).size == (600, 300)
