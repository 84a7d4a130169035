// The parts of Apache ECharts the dashboard draws with: a treemap of sizes and a graph of
// imports, their tooltips, on canvas. Nothing else is bundled (scripts/build_dashboard.py).
import { use, init, getInstanceByDom } from "echarts/core";
import { TreemapChart, GraphChart } from "echarts/charts";
import { TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

use([TreemapChart, GraphChart, TooltipComponent, CanvasRenderer]);

export { init, getInstanceByDom };
