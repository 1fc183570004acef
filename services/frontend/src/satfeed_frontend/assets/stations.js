// The passes table's countdowns, counted in the browser: every second each cell with a
// data-aos (and data-los) time, in ms since the epoch, is reworded as
// satfeed_frontend.pass_table.countdown words it. No request is spent on it.
(function () {
  function span(ms) {
    const seconds = Math.floor(ms / 1000);
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = seconds % 60;
    const two = n => String(n).padStart(2, '0');
    if (hours) return hours + ' h ' + two(minutes) + ' min';
    if (minutes) return minutes + ' min ' + two(rest) + ' s';
    return rest + ' s';
  }
  function countdown(now, aos, los) {
    if (aos !== null && now < aos) return 'in ' + span(aos - now);
    if (los === null) return 'up';
    if (now < los) return 'up, LOS in ' + span(los - now);
    return 'over';
  }
  function tick() {
    const now = Date.now();
    for (const cell of document.querySelectorAll('.passes-table .countdown')) {
      const aos = cell.dataset.aos ? Number(cell.dataset.aos) : null;
      const los = cell.dataset.los ? Number(cell.dataset.los) : null;
      const text = countdown(now, aos, los);
      if (cell.textContent !== text) cell.textContent = text;
      cell.parentElement.classList.toggle('up', text.startsWith('up'));
    }
  }
  setInterval(tick, 1000);
})();
