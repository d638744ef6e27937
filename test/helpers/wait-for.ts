// One polling helper for tests, the demo and the benchmarks.
export { waitFor } from '../../demo/src/wait-for';
