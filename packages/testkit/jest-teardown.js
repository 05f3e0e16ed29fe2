// Filled in by testkit: stops any PostgreSQL or pgrelay a crashed test file left behind.
module.exports = async function teardown() {};
