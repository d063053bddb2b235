/** Unit tests run the Pulumi program under mocks; SWC strips types (tsc type-checks separately). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test", "<rootDir>/examples", "<rootDir>/policy"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/helpers/summaryReporter.js"],
};
