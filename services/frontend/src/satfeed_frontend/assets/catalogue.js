/* satfeed: every object on the map, as one WebGL trace (the map's trace 0).
 *
 * The update stream (push.js) hands over the roster (names, NORAD ids, layers: once, then
 * what was appended) and, each tick, a frame: every object's longitude and latitude in
 * roster order, int16 quantised, base64 (see data/catalogue.py). A frame is applied with one
 * Plotly.restyle on typed arrays, together with the new points of the detailed tracks'
 * lines, so a tick redraws the map once; frames that pile up while the page is busy are
 * dropped but the newest (each is whole), never queued. Dash draws the map's figure with
 * an empty trace 0; whenever it has drawn one, the trace is filled here again.
 *
 * Also here: the search over the roster (the picker's options), picking a point by
 * clicking it, and hiding layers (their points become NaN). */
(function () {
  'use strict';
  const MISSING = -32768;
  const LON = 180 / 32767;
  const LAT = 90 / 32767;
  const MATCHES = 50; // options the search offers at most

  const linked = new URLSearchParams(window.location.search);
  const state = {
    g: null, // roster generation
    n: 0,
    names: [],
    norad: [],
    layer: new Uint16Array(0),
    values: {}, // index -> the value that picks it (a Satellite's name); else its NORAD id
    layers: [],
    hidden: new Set(linked.getAll('hide').flatMap(v => v.split(',')).filter(v => v)),
    styled: -1, // the roster version the trace's names and colours are from
    version: 0, // moves on with every roster change
    q: null, // the newest frame, Int16Array: n longitudes then n latitudes
    t: 0,
    x: null, // the trace's current arrays
    y: null,
    pending: [], // the detailed tracks' new points (extendData triples), in order
    scheduled: false,
    hooked: null,
    picked: [],
  };
  const stats = {frames: 0, applied: 0, dropped: 0, styled: 0, firstAt: null, lastApplyMs: 0};
  window.satfeedStats = stats;

  function set(id, props) {
    const dash = window.dash_clientside || {};
    if (dash.set_props) dash.set_props(id, props);
  }

  function graph() {
    return document.querySelector('#map .js-plotly-plot');
  }

  function valueOf(i) {
    return state.values[i] !== undefined ? state.values[i] : String(state.norad[i]);
  }

  function label(name, i) {
    return name + ' · NORAD ' + state.norad[i];
  }

  function roster(message) {
    if (message.from !== 0 && (message.g !== state.g || message.from !== state.names.length)) {
      // Appended to a roster this page does not have: start again from a whole one.
      state.g = null;
      if (window.satfeedPush) window.satfeedPush.reopen();
      return;
    }
    if (message.g !== state.g || message.from === 0) {
      state.names = [];
      state.norad = [];
      state.values = {};
      state.q = null;
    }
    state.g = message.g;
    state.names.push(...message.names);
    state.norad.push(...message.norad);
    const layer = new Uint16Array(message.n);
    layer.set(state.layer.subarray(0, Math.min(message.from, state.layer.length)));
    layer.set(message.layer, message.from);
    state.layer = layer;
    Object.assign(state.values, message.values);
    state.n = message.n;
    state.layers = message.layers;
    state.version += 1;
    showLayers();
    schedule();
  }

  function showLayers() {
    const names = state.layers.map(each => each.name);
    set('layers', {
      options: names.map(name => ({label: name, value: name})),
      value: names.filter(name => !state.hidden.has(name)),
    });
    // Each layer's name in its colour (the checklist's labels are plain text).
    let style = document.getElementById('satfeed-layer-colours');
    if (!style) {
      style = document.createElement('style');
      style.id = 'satfeed-layer-colours';
      document.head.appendChild(style);
    }
    style.textContent = state.layers
      .map((each, i) => `.layers label:nth-of-type(${i + 1}) { color: ${each.colour}; }`)
      .join('\n');
  }

  function decode(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Int16Array(bytes.buffer); // little-endian, as every browser's platform is
  }

  // One pushed update: its frame (if any) and the detailed tracks' new points (if any).
  function update(frame, extension) {
    if (frame) {
      stats.frames += 1;
      if (frame.g === state.g && frame.n === state.n) {
        if (state.q && state.scheduled) stats.dropped += 1; // superseded before drawn
        state.q = decode(frame.p);
        state.t = frame.t;
      }
    }
    if (extension) state.pending.push(extension);
    schedule();
  }

  function schedule() {
    if (state.scheduled) return;
    state.scheduled = true;
    setTimeout(flush, 0);
  }

  function hook(gd) {
    if (state.hooked === gd) return;
    state.hooked = gd;
    // Dash drew the figure anew (trace 0 empty): fill it again.
    gd.on('plotly_afterplot', () => {
      const trace = gd.data && gd.data[0];
      if (trace && trace.uid === 'catalogue' && trace.x !== state.x) {
        state.styled = -1;
        schedule();
      }
    });
    gd.on('plotly_click', event => {
      const point = (event.points || [])[0];
      if (!point || point.curveNumber !== 0 || point.pointIndex >= state.n) return;
      const value = valueOf(point.pointIndex);
      if (!state.picked.includes(value)) set('select', {value: [...state.picked, value]});
    });
  }

  function extendInto(columns, gd, extension) {
    const [data, indices, limits] = extension;
    indices.forEach((index, k) => {
      const trace = gd.data[index];
      if (!trace) return;
      const column = columns[index] || {x: Array.from(trace.x || []), y: Array.from(trace.y || [])};
      column.x = column.x.concat(data.x[k]).slice(-limits.x[k]);
      column.y = column.y.concat(data.y[k]).slice(-limits.y[k]);
      columns[index] = column;
    });
  }

  function flush() {
    state.scheduled = false;
    const gd = graph();
    if (!gd || !gd.data || !gd._fullLayout || !gd.data[0] || gd.data[0].uid !== 'catalogue') {
      if (state.q || state.pending.length) setTimeout(schedule, 200); // not drawn yet
      return;
    }
    hook(gd);
    const started = performance.now();
    const columns = {};
    for (const extension of state.pending) extendInto(columns, gd, extension);
    state.pending = [];
    const indices = [];
    const xs = [];
    const ys = [];
    let styling = null;
    if (state.q && state.q.length === 2 * state.n) {
      const n = state.n;
      const q = state.q;
      const x = new Float32Array(n);
      const y = new Float32Array(n);
      const hidden = state.layers.map(each => state.hidden.has(each.name));
      for (let i = 0; i < n; i++) {
        const lon = q[i];
        if (lon === MISSING || hidden[state.layer[i]]) {
          x[i] = NaN;
          y[i] = NaN;
        } else {
          x[i] = lon * LON;
          y[i] = q[n + i] * LAT;
        }
      }
      state.x = x;
      state.y = y;
      indices.push(0);
      xs.push(x);
      ys.push(y);
      if (state.styled !== state.version) {
        // Names for hover, a colour per layer: only when the roster changed. Colours as
        // '#rrggbb' strings: Plotly converts every point's colour at every update, and
        // these it converts fastest (a colour scale over numbers took three times as long).
        // All in one colour (one layer): that colour once, not once a point (a point's
        // colour is most of a frame's cost, and of the first frame's).
        const colours = state.layers.map(each => each.colour);
        const colour = new Array(n);
        let one = true;
        for (let i = 0; i < n; i++) {
          colour[i] = colours[state.layer[i]] || '#4cc9f0';
          one = one && colour[i] === colour[0];
        }
        styling = {text: state.names.map(label), 'marker.color': one && n ? colour[0] : colour};
        state.styled = state.version;
        stats.styled += 1;
      }
    }
    if (styling) {
      // One update of the catalogue with its new names and colours; the detailed tracks'
      // points (if any) in a second one (a restyle's values go to every trace it names).
      Plotly.restyle(gd, {x: [xs[0]], y: [ys[0]], text: [styling.text],
        'marker.color': [styling['marker.color']]}, [0]);
      indices.shift();
      xs.shift();
      ys.shift();
    }
    for (const index of Object.keys(columns)) {
      indices.push(Number(index));
      xs.push(columns[index].x);
      ys.push(columns[index].y);
    }
    if (!indices.length) {
      if (styling) noteApplied(started);
      return;
    }
    Plotly.restyle(gd, {x: xs, y: ys}, indices).then(() => noteApplied(started));
  }

  function noteApplied(started) {
    stats.applied += 1;
    stats.lastApplyMs = performance.now() - started;
    if (stats.firstAt === null && state.x) {
      stats.firstAt = performance.now();
      performance.mark('satfeed-first-frame');
    }
  }

  window.satfeedCatalogue = {
    roster: roster,
    update: update,
    rosterState: () => (state.g === null ? '' : state.g + ':' + state.n),
    drawn: picked => {
      // A new drawing: its detailed tracks start afresh; the catalogue is filled anew.
      state.pending = [];
      state.picked = picked || [];
      state.styled = -1;
      schedule();
    },
    setHidden: names => {
      state.hidden = new Set(names);
      schedule();
    },
    layers: () => state.layers.map(each => each.name),
    search: text => {
      const wanted = (text || '').trim().toUpperCase();
      if (wanted.length < 2 && !/^[0-9]+$/.test(wanted)) return [];
      const found = [];
      const number = /^[0-9]+$/.test(wanted);
      for (let i = 0; i < state.n && found.length < MATCHES; i++) {
        const hit = number
          ? String(state.norad[i]).startsWith(wanted)
          : state.names[i].toUpperCase().includes(wanted);
        if (hit) found.push({label: label(state.names[i], i), value: valueOf(i)});
      }
      return found;
    },
  };
})();
