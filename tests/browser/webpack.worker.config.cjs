/* The proctoring-worker part of edx-platform's webpack.common.config.js, rewritten for the
 * tests (not copied): the worker bundle is built from edx-proctoring's workers.json as a
 * web-worker target, with webpack-bundle-tracker writing webpack-worker-stats.json, and the
 * whole worker configuration sits in a try that parses JS_ENV_EXTRA_CONFIG: unset or not
 * JSON, it yields null and webpack builds the other bundles only, without a word.
 *
 * Where the platform's paths are fixed, the test passes them in: WORKERS_JSON (the
 * platform's require('../workers.json')), STATIC_ROOT_LMS (as the platform reads it) and
 * BUNDLES_DIR (common/static/bundles). Two differences, both outside what is tested: the
 * platform runs babel-loader over node_modules (Chromium needs no transpiling), and
 * edx-proctoring puts 'babel-polyfill' first in each worker's entry, aliased here to an
 * empty module (the platform installs babel-polyfill; nothing here uses it).
 */
'use strict';

const path = require('path');
const webpack = require('webpack');
const BundleTracker = require('webpack-bundle-tracker');

const bundles = process.env.BUNDLES_DIR;
const staticRootLms = process.env.STATIC_ROOT_LMS;

// Stands for the platform's other bundles, which build whatever the variable holds.
const web = {
  name: 'web',
  mode: 'production',
  context: __dirname,
  entry: { page: path.resolve(__dirname, 'webpack-page.js') },
  output: { path: bundles, filename: '[name].js' },
  plugins: [new BundleTracker({ path: staticRootLms, filename: 'webpack-stats.json' })],
};

function workerConfig() {
  try {
    return {
      name: 'webworker',
      mode: 'production',
      target: 'webworker',
      context: __dirname,
      entry: require(process.env.WORKERS_JSON),
      output: { path: bundles, filename: '[name].js' },
      plugins: [
        new BundleTracker({ path: staticRootLms, filename: 'webpack-worker-stats.json' }),
        new webpack.DefinePlugin({
          'process.env.JS_ENV_EXTRA_CONFIG': JSON.parse(process.env.JS_ENV_EXTRA_CONFIG),
        }),
      ],
      resolve: { extensions: ['.js'], alias: { 'babel-polyfill': false } },
    };
  } catch (err) {
    return null;
  }
}

module.exports = [web, workerConfig()].filter(Boolean);
