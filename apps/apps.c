/*
 * apps.c - start the services (apps/) once the network is configured.
 */
#include <string.h>

#include <skiff/apps.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/net/reflect.h>
#include <skiff/printk.h>

void apps_start(void)
{
	/* app=reflect: frames go back at the device layer, so no service. */
	if (strcmp(kcfg.app, "reflect") == 0) {
		reflect_start();
		return;
	}
	int err = echo_start(kcfg.echo_port);
	if (err)
		pr_warn("echo: not started (error %d)\n", err);
	err = httpd_start(kcfg.http_port);
	if (err)
		pr_warn("httpd: not started (error %d)\n", err);
}
