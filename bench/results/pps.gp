set terminal pngcairo size 900,540 font ",11"
set output "bench/results/pps.png"
set title "UDP packets/s through one director CPU (median, min-max), 6.1.0-56-amd64"
set ylabel "packets/s"
set yrange [0:*]
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
plot "bench/results/pps.dat" using 2:3:4:xtic(1) title "plain forwarding" lc rgb "#888888", \
     "" using 5:6:7 title "IPVS" lc rgb "#4477aa", \
     "" using 8:9:10 title "nflb" lc rgb "#ee6677"
