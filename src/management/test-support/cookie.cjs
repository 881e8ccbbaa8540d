'use strict';
// Stands in for the 'cookie' package in unit tests (jest.config.js, moduleNameMapper). light-my-request (fastify's
// inject) requires the ESM-only 'cookie', which Jest on Node 20 cannot load; inject never sends cookies here.
module.exports = { stringifySetCookie: () => '' };
