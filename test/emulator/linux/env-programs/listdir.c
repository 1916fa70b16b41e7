// Creates files and a directory in its working directory, then lists it with opendir/readdir (getdents64).
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
  fclose(fopen("b.txt", "w"));
  fclose(fopen("a.txt", "w"));
  mkdir("sub", 0755);
  DIR *dir = opendir(".");
  if (!dir) { perror("opendir"); return 1; }
  char *names[16];
  int n = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL && n < 16;) {
    names[n] = malloc(strlen(e->d_name) + 3);
    sprintf(names[n++], "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
  }
  closedir(dir);
  qsort(names, n, sizeof names[0], by_name);
  for (int i = 0; i < n; i++) printf("%s\n", names[i]);
  return 0;
}
