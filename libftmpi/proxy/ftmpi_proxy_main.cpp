// ftmpi-proxy: the rank proxy of transparent mode (see libftmpi/proxy/proxy.hpp).
#include "proxy/proxy.hpp"

int main(int argc, char** argv) {
  return ftmpi_proxy_main(argc, argv);
}
