// A test double for the clock, loaded with `node --import` into a stepflow CLI: Date.now() in whole seconds
// and performance.now() in whole milliseconds. Processes started together then propose the same run id,
// which no real clock makes happen on demand (a precise timing): the tests of run naming use it to show that
// clashing runs still get distinct ids.
const realDateNow = Date.now;
Date.now = () => Math.floor(realDateNow() / 1000) * 1000;
const realPerformanceNow = performance.now.bind(performance);
performance.now = () => Math.floor(realPerformanceNow());
