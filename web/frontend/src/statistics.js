// The statistics page: each block's chart drawn with Chart.js from the data attributes the server rendered
// (no inline script: CSP), the table behind a toggle. Without JavaScript the tables simply stay visible.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

function drawBlock(block) {
  const figure = block.querySelector('figure.stat-chart');
  const table = block.querySelector('table.stat-table');
  const toggle = block.querySelector('button.chart-toggle');
  if (!figure || !table || !toggle) {
    return;
  }
  const labels = JSON.parse(figure.dataset.labels);
  const values = JSON.parse(figure.dataset.values);
  figure.hidden = false;
  table.hidden = true;
  toggle.hidden = false;
  // eslint-disable-next-line no-new
  new Chart(figure.querySelector('canvas'), {
    type: 'bar',
    data: { labels, datasets: [{ label: figure.dataset.series, data: values, backgroundColor: '#285a96' }] },
    options: {
      indexAxis: labels.length > 8 ? 'y' : 'x',
      animation: false,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
    },
  });
  toggle.addEventListener('click', () => {
    const showTable = table.hidden;
    table.hidden = !showTable;
    figure.hidden = showTable;
    toggle.setAttribute('aria-expanded', String(showTable));
    toggle.textContent = showTable ? toggle.dataset.hide : toggle.dataset.show;
  });
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('section.stat-block').forEach(drawBlock);
});
