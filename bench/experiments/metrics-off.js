'use strict';
// Experiment alias: metric recording off (see bench/lib/metrics-off.js, used by P3).
require('../lib/metrics-off');
