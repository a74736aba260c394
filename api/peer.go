package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/db4e/db4e/model"
	"golang.org/x/sys/unix"
)

// The socket is 0660 so the service's group can attach a console and run the read commands;
// what changes the store (import, record, rebuild, backup) is for the service's own user or
// root only, checked with the peer's credentials (SO_PEERCRED), which a client cannot forge.

type peerKey struct{}

// peer is who is at the other end of a socket connection.
type peer struct {
	uid, pid int
	known    bool
}

// withPeer puts the connection's peer credentials in its context (http.Server.ConnContext).
func withPeer(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return ctx
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, peer{uid: int(cred.Uid), pid: int(cred.Pid), known: true})
}

// ownerOnly lets a request through only from the service's own user or root.
func ownerOnly(what string, h http.HandlerFunc) http.HandlerFunc {
	self := os.Getuid()
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(peerKey{}).(peer)
		if !p.known || (p.uid != self && p.uid != 0) {
			who := "an unknown user"
			if p.known {
				who = fmt.Sprintf("uid %d", p.uid)
			}
			httpError(w, fmt.Errorf("%s through the service's socket is for its own user (uid %d) or root, not %s: run it as that user (sudo -u): %w", what, self, who, model.ErrDenied))
			return
		}
		h(w, r)
	}
}
