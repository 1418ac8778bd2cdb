// A shared library without Junction's exports.
extern "C" int not_a_junction_plugin() { return 42; }
