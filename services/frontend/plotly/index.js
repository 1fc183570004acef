// The trace types the satfeed page draws (grep "type" in satfeed_frontend/figures.py and
// sky_plot.py): scatter (core, always there), scattergl (the map's objects) and
// scatterpolar (a ground station's sky plot). A trace type not registered here is not
// drawn: tests/unit/frontend/test_plotly_bundle.py checks the figure builders against it.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/scattergl'), require('plotly.js/lib/scatterpolar')]);

module.exports = Plotly;
