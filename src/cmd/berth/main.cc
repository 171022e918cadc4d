// berth: the docker-compatible command line, a client of berthd's Engine API (cli/).
#include "cli/app.h"

int main(int argc, char** argv) { return berth::cli::Main(argc, argv); }
