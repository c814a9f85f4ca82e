/*
 * ldapwire - the LDAP protocol seen from a scripted server
 *
 * For the suites that play a server libldap (or the splitsync binary)
 * talks to, where the real one cannot run here (Active Directory): read
 * and decode what the client sends, answer a bind, send entries and
 * results. One connection, one client; every call returns 0 or -1 (or
 * a length) and never exits, so the server child can tell its parent
 * which step went wrong through its exit status.
 *
 * And for the suites of a real server, a relay between it and the
 * client that does to the server's answers what a network may do: hold
 * them up in the middle of a page, or cut the connection in the middle
 * of an entry.
 */
#ifndef SPLITSYNC_TESTS_LDAPWIRE_H
#define SPLITSYNC_TESTS_LDAPWIRE_H

#include <sys/types.h>
#include <lber.h>

#define LDAPWIRE_ATTRS 24       /* attributes a decoded search keeps */

/* one request, decoded */
struct ldapwire_req {
	ber_int_t id;
	ber_tag_t op;
	char base[128];
	ber_int_t scope;
	char attrs[LDAPWIRE_ATTRS][64];
	int nattrs;
	int paged;
	ber_int_t size;
	char cookie[32];
};

/* ldapwire_listen - a socket listening on loopback (asserts that it
 * works), its port in *port */
int ldapwire_listen(unsigned *port);
/* ldapwire_accept - the client of lfd, with Nagle off (an entry and
 * its result go in two writes); -1 when none came */
int ldapwire_accept(int lfd);
/* ldapwire_read - one whole LDAP message into buf: its length, 0 at the
 * end of the connection, -1 when it is not one */
ssize_t ldapwire_read(int fd, unsigned char *buf, size_t cap);
/* ldapwire_decode - what the client asked: operation, and for a search
 * its base, scope, attributes and paged results control; 0 or -1 */
int ldapwire_decode(unsigned char *buf, ssize_t n, struct ldapwire_req *r);
/* ldapwire_send - send ber as it is and free it; 0 or -1 */
int ldapwire_send(int fd, BerElement *ber);
/* ldapwire_bind - a successful bind response */
int ldapwire_bind(int fd, ber_int_t id);
/* ldapwire_whoami - the answer to WhoAmI (RFC 4532): authzid who */
int ldapwire_whoami(int fd, ber_int_t id, const char *who);
/* ldapwire_next - the next request that is not an unbind into r,
 * answering WhoAmI (as who) on the way: 1, 0 at the end of the
 * connection, -1 for what is not a request */
int ldapwire_next(int fd, unsigned char *buf, size_t cap,
    struct ldapwire_req *r, const char *who);
/* ldapwire_result - a search result; with a paged results control when
 * cookie is not NULL ("" ends the search) */
int ldapwire_result(int fd, ber_int_t id, int code, const char *cookie);

/* What ldapwire_relay does once the server has sent entries search
 * result entries (of any search) through it. */
struct ldapwire_plan {
	size_t entries;
	int hold_fd;            /* >= 0: wait until a byte, or the end,
	                           can be read from it, then go on */
	int cut;                /* 1: pass on the first half of the next
	                           message from the server, then stop */
};

/* ldapwire_connect - a connection to 127.0.0.1:port (asserts that it
 * works), with Nagle off */
int ldapwire_connect(unsigned port);
/* ldapwire_relay - pass whole messages between the client on cfd and
 * the server on sfd, both ways, acting on the server's answers as plan
 * says, until one side closes or the plan cuts; the caller closes both.
 * 0, or -1 when a message could not be read or passed on */
int ldapwire_relay(int cfd, int sfd, const struct ldapwire_plan *plan);

#endif
