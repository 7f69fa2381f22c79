// `testTimeout` is a global jest option that project configs ignore; integration tests wait on real services
// (the stack tests start OpenSearch), so their per-test deadline is set here instead.
jest.setTimeout(300000);
