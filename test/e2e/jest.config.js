/**
 * The end-to-end suite: a deployed stack on a real cluster (test/e2e/README.md). Run with
 * `npx jest -c test/e2e/jest.config.js`; the unit run (jest.config.js) leaves this folder out.
 */
const path = require("path");

module.exports = {
  rootDir: path.resolve(__dirname, "../.."),
  testEnvironment: "node",
  roots: ["<rootDir>/test/e2e"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  // Tests build on each other (login, then a server, then its restart): one file, in order.
  maxWorkers: 1,
  // Each wait inside a test has its own, shorter bound; this only catches a hang.
  testTimeout: 15 * 60 * 1000,
  reporters: ["default", ["<rootDir>/test/e2e/summaryReporter.js", {}]],
};
