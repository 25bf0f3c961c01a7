#!/bin/bash
# Live capture rate on a veth pair: tcpreplay --topspeed FILE from a namespace.
set -e
ns=pkbench$$; a=pkba$$; b=pkbb$$
ip netns add $ns; ip link add $a type veth peer name $b; ip link set $b netns $ns
ip link set $a up; ip netns exec $ns ip link set $b up
trap "ip link del $a 2>/dev/null; ip netns del $ns" EXIT
/tmp/packter agent -n -d -i $a "${@:2}" > /dev/null 2>/tmp/livebench.err &
ap=$!
sleep 1
ip netns exec $ns tcpreplay -i $b --topspeed "$1" 2>&1 | grep -E "Rated|Actual|Successful"
sleep 1
kill -INT $ap; wait $ap
cat /tmp/livebench.err | tail -1
