#!/bin/sh
# globehop lab: a machine's services, started by tini (PID 1) after pivot_root.
mkdir -p /run/sshd /run/log /var/lib/globehop/images
/usr/sbin/sshd -D -e 2>>/run/log/sshd.log &
/usr/sbin/keepalived --dont-fork --log-console --vrrp -f /etc/keepalived/keepalived.conf >>/run/log/keepalived.log 2>&1 &
echo "globehop lab machine $(hostname) booted"
wait
