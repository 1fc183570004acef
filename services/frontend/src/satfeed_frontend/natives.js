/* satfeed: keep the browser's own built-in functions where Dash's Babel polyfill replaces them.
 *
 * Dash loads @babel/polyfill 7.12 (core-js 2) for old browsers; in a current one it still
 * swaps some built-ins for JavaScript versions of its own (parseInt, parseFloat, trim,
 * Object.prototype.toString, ...), which Plotly's colour parsing calls for every point of
 * every update: 16,000 points took 300 ms instead of 60. The index page runs keep() before
 * Dash's scripts and restore() after them: what the polyfill added stays (the
 * regenerator runtime Dash's lazy components need), what it replaced is the browser's again. */
(function () {
  'use strict';
  const owners = [
    window, Object, Object.prototype, Function.prototype, Number, Number.prototype, Math,
    String, String.prototype, Array, Array.prototype, RegExp.prototype, JSON, Reflect,
    Map.prototype, Set.prototype,
  ];
  const kept = owners.map(owner => [
    owner,
    Reflect.ownKeys(owner).map(key => [key, Object.getOwnPropertyDescriptor(owner, key)]),
  ]);
  window.satfeedNatives = {
    restored: [],
    restore: function () {
      for (const [owner, descriptors] of kept) {
        for (const [key, before] of descriptors) {
          const now = Object.getOwnPropertyDescriptor(owner, key);
          if (before && now && typeof before.value === 'function' && before.value !== now.value) {
            try {
              Object.defineProperty(owner, key, before);
              this.restored.push(String(key));
            } catch (error) {
              // not configurable: the polyfill's stays
            }
          }
        }
      }
    },
  };
})();
