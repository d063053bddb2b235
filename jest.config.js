/** Unit tests run the Pulumi program under mocks; ts-jest only transpiles (`npm run typecheck` checks types). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test", "<rootDir>/examples", "<rootDir>/policy"],
  testMatch: ["**/*.test.ts"],
  // test/e2e needs a deployed stack on a real cluster: its own config (test/e2e/jest.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/e2e/"],
  // The example imports the package by name, as another program does: here it is the source.
  moduleNameMapper: { "^ds-platform$": "<rootDir>/components/index.ts" },
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: false }] },
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/helpers/summaryReporter.js"],
};
