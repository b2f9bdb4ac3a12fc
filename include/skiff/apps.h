/*
 * apps.h - the services Skiff runs on its socket API (apps/). Each app
 * sets up its sockets and an event loop and registers with app_register
 * (net/socket.h); the idle loop runs it from then on.
 */
#ifndef SKIFF_APPS_H
#define SKIFF_APPS_H

#include <skiff/types.h>

/* Start every app with the ports from the configuration (kmain, after
 * net_configure). */
void apps_start(void);

/*
 * RFC 862 echo on UDP and TCP `port`. TCP is skipped (logged once) while
 * no SOCK_STREAM protocol is registered. 0, or the negative errno of the
 * UDP socket's set-up.
 */
int echo_start(u16 port);

/* The HTTP/1.1 server (apps/httpd/) on TCP `port`: 0 or a negative errno. */
int httpd_start(u16 port);

#endif
