/* satfeed: the page follows its update stream (Server-Sent Events, see push.py).
 *
 * Dash draws the page whole (on load, on a pick, when the view changes) and hands over the
 * cursor of that drawing; from there the server pushes one update per tick. Its catalogue
 * frame and the map's new points go to catalogue.js (one Plotly.restyle); the rest (the
 * plots' extendData, the changed cards, the compact list, the status line) is handed to
 * Dash (set_props of the "push" store) and applied by a clientside callback, only when
 * there is any. No request per update. */
(function () {
  'use strict';
  const RECONNECT_MS = 1000;
  const SILENT_MS = 10000; // a stream sends at least once a second
  const BUSY_MS = 3000; // the watchdog itself ran this late: the page is behind, not deserted
  const DRAWING_MS = 30000; // a drawing asked for and not come: ask again, not sooner (Dash
  // drops the answer to a request when a newer one of the same callback is sent, so asking
  // every few seconds of a slow server would never draw)
  let source = null;
  let retry = null;
  let cursor = null; // what this page has drawn: the drawing's cursor, moved on by updates
  let query = {};
  let lastHeard = Date.now();
  let lastChecked = Date.now();
  let drawAsked = Date.now(); // loading the page asks for the first drawing
  let lastStatus = null;
  const catalogue = () => window.satfeedCatalogue;

  function set(id, props) {
    const dash = window.dash_clientside || {};
    if (dash.set_props) dash.set_props(id, props); // not before Dash has started
  }

  function close() {
    if (source) {
      source.close();
      source = null;
    }
    if (retry) {
      clearTimeout(retry);
      retry = null;
    }
  }

  function redraw() {
    close();
    cursor = null;
    drawAsked = Date.now();
    set('redraw', {data: drawAsked});
  }

  function apply(update) {
    if (update.seq !== undefined) {
      cursor = Object.assign({}, cursor, {seq: update.seq, sent: update.sent});
      const forDash =
        update.altitude || update.ground || update.cards || update.listing !== null ||
        update.status !== lastStatus;
      lastStatus = update.status;
      if (forDash) {
        // One prop set per update: the "push" store, whose callback (below) hands the
        // update to the plots, the cards, the list and the status line in one go. Handed
        // over first: Dash renders the cards before the map's redraw (a task of its own).
        const {frame: _frame, map: _map, ...rest} = update;
        set('push', {data: rest});
      }
    }
    if (update.frame || update.map) catalogue().update(update.frame, update.map);
  }

  function open() {
    close();
    if (!cursor) return;
    const params = new URLSearchParams();
    params.set('cursor', JSON.stringify(cursor));
    params.set('session', query.session || '');
    params.set('roster', catalogue().rosterState());
    for (const value of query.selection || []) params.append('sat', value);
    for (const value of query.overlays || []) params.append('overlay', value);
    source = new EventSource('updates?' + params.toString());
    source.onopen = () => { lastHeard = Date.now(); };
    source.onmessage = event => {
      lastHeard = Date.now();
      apply(JSON.parse(event.data));
    };
    source.addEventListener('roster', event => {
      performance.mark('satfeed-roster');
      lastHeard = Date.now();
      catalogue().roster(JSON.parse(event.data));
    });
    source.addEventListener('redraw', redraw);
    source.onerror = () => {
      // The stream ended (a restart, a stalled page) or the server is away: reopen from
      // what is drawn; a restarted server answers with "redraw".
      close();
      retry = setTimeout(open, RECONNECT_MS);
    };
  }

  // A silent stream: reopen it from what is drawn (the server answers with what the page
  // lacks, or asks for a drawing if its view is gone). A page too busy to run this check
  // on time is behind, not deserted: it is not judged. A drawing that never came: ask again.
  setInterval(() => {
    const now = Date.now();
    const busy = now - lastChecked > BUSY_MS;
    lastChecked = now;
    if (busy) {
      lastHeard = now;
    } else if (cursor) {
      if (now - lastHeard > SILENT_MS) {
        lastHeard = now;
        open();
      }
    } else if (now - drawAsked > DRAWING_MS) {
      redraw();
    }
  }, 1000);

  // An update built for the drawing before (a stream message handled while the back
  // button's drawing was on its way) may name traces the new drawing lacks: Plotly would
  // refuse it ("indices must be valid indices for gd.data"). It is dropped; the new
  // drawing's stream brings what that drawing lacks from its own cursor.
  function fits(extension, graphId) {
    if (!extension) return false;
    const graph = document.getElementById(graphId);
    const plot = graph && (graph.classList.contains('js-plotly-plot')
      ? graph : graph.querySelector('.js-plotly-plot'));
    const traces = plot && plot.data ? plot.data.length : 0;
    return (extension[1] || []).every(index => index < traces);
  }

  window.satfeedPush = {reopen: open};
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.satfeed = {
    follow: function (drawn, selection, overlays, session) {
      performance.mark('satfeed-drawn'); // where the first drawing's time goes (the benches)
      cursor = drawn || null;
      query = {selection: selection || [], overlays: overlays || [], session: session};
      lastHeard = Date.now();
      lastStatus = null;
      catalogue().drawn(query.selection);
      open();
      return window.dash_clientside.no_update;
    },
    apply: function (update) {
      // Outputs: the two plots' extendData, then every card's class and every card's
      // value text (by id, so a card's text changes in place), the list, the status line.
      const skip = window.dash_clientside.no_update;
      const [, , cardOutputs, valueOutputs] =
        window.dash_clientside.callback_context.outputs_list;
      const changed = update.cards || {}; // the callback runs on pushed updates only
      const card = (outputs, part) =>
        outputs.map(output => (changed[output.id.satellite] || [skip, skip])[part]);
      return [
        fits(update.altitude, 'altitude') ? update.altitude : skip,
        fits(update.ground, 'ground') ? update.ground : skip,
        card(cardOutputs, 0),
        card(valueOutputs, 1),
        update.listing === null || update.listing === undefined ? skip : update.listing,
        update.status,
      ];
    },
    search: function (text, picked, options) {
      // The picker's options: what is picked (as drawn), then what the search finds in the
      // roster; typed in the browser, no request.
      const noUpdate = window.dash_clientside.no_update;
      if (text === undefined || text === null) return noUpdate;
      const keep = (options || []).filter(option => (picked || []).includes(option.value));
      const seen = new Set(keep.map(option => option.value));
      const found = catalogue().search(text).filter(option => !seen.has(option.value));
      return keep.concat(found);
    },
  };
})();
