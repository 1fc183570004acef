/* satfeed: the page follows its update stream (Server-Sent Events, see push.py).
 *
 * Dash draws the page whole (on load, on a pick, when the view changes) and hands over the
 * cursor of that drawing; from there the server pushes one update per tick, which is
 * handed to Dash here (set_props of the "push" store) and applied by a clientside
 * callback: extendData for the three plots, the changed cards' class and values, the
 * status line. No request per update. */
(function () {
  'use strict';
  const RECONNECT_MS = 1000;
  const SILENT_MS = 10000; // a stream sends at least once a second
  const DRAWING_MS = 30000; // a drawing asked for and not come: ask again, not sooner (Dash
  // drops the answer to a request when a newer one of the same callback is sent, so asking
  // every few seconds of a slow server would never draw)
  let source = null;
  let retry = null;
  let cursor = null; // what this page has drawn: the drawing's cursor, moved on by updates
  let query = {};
  let lastHeard = Date.now();
  let drawAsked = Date.now(); // loading the page asks for the first drawing

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
    // One prop set per update: the "push" store, whose callback (below) hands the update
    // to the plots, the cards and the status line in one go.
    set('push', {data: update});
    cursor = Object.assign({}, cursor, {seq: update.seq, sent: update.sent});
  }

  function open() {
    close();
    if (!cursor) return;
    const params = new URLSearchParams();
    params.set('cursor', JSON.stringify(cursor));
    params.set('session', query.session || '');
    for (const value of query.selection || []) params.append('sat', value);
    for (const value of query.overlays || []) params.append('overlay', value);
    source = new EventSource('updates?' + params.toString());
    source.onopen = () => { lastHeard = Date.now(); };
    source.onmessage = event => {
      lastHeard = Date.now();
      apply(JSON.parse(event.data));
    };
    source.addEventListener('redraw', redraw);
    source.onerror = () => {
      // The stream ended (a restart, a stalled page) or the server is away: reopen from
      // what is drawn; a restarted server answers with "redraw".
      close();
      retry = setTimeout(open, RECONNECT_MS);
    };
  }

  // A silent stream, or a drawing that never came: draw anew.
  setInterval(() => {
    const now = Date.now();
    if (cursor ? now - lastHeard > SILENT_MS : now - drawAsked > DRAWING_MS) redraw();
  }, 1000);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.satfeed = {
    follow: function (drawn, selection, overlays, session) {
      cursor = drawn || null;
      query = {selection: selection || [], overlays: overlays || [], session: session};
      lastHeard = Date.now();
      open();
      return window.dash_clientside.no_update;
    },
    apply: function (update) {
      // Outputs: the three plots' extendData, then every card's class and every card's
      // value text (by id, so a card's text changes in place), then the status line.
      const skip = window.dash_clientside.no_update;
      const [, , , cardOutputs, valueOutputs] =
        window.dash_clientside.callback_context.outputs_list;
      const changed = update.cards || {}; // the callback runs on pushed updates only
      const card = (outputs, part) =>
        outputs.map(output => (changed[output.id.satellite] || [skip, skip])[part]);
      return [
        update.map || skip,
        update.altitude || skip,
        update.ground || skip,
        card(cardOutputs, 0),
        card(valueOutputs, 1),
        update.status,
      ];
    },
  };
})();
