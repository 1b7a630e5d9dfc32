/* Links against the installed libftmpi and checks that header and library agree. */
#include <stdio.h>

#include <ftmpi/ftmpi.h>

int main(void) {
  int major = -1;
  int minor = -1;
  int patch = -1;
  if (ftmpi_get_version(&major, &minor, &patch) != FTMPI_SUCCESS) {
    fprintf(stderr, "ftmpi_get_version failed\n");
    return 1;
  }
  if (major != FTMPI_VERSION_MAJOR || minor != FTMPI_VERSION_MINOR) {
    fprintf(stderr, "header %s, library %d.%d.%d\n", FTMPI_VERSION_STRING, major, minor, patch);
    return 1;
  }
  printf("ftmpi %s\n", ftmpi_version_string());
  return 0;
}
