# gnuplot -e "dir='build/bench'" scripts/bench/plot.gp: one PNG per figure
set terminal pngcairo size 1000,560 noenhanced font ",10"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6 border -1
set grid ytics
set key off
set xtics rotate by -35
set yrange [0:*]
set bmargin 9
set rmargin 9

set output dir.'/refill.png'
set title 'refill: ns per buffer, batch 64 (median, min..max; emulated CPU: compare bars, not runs)'
set ylabel 'ns per buffer'
plot '< awk ''$2 == 64'' '.dir.'/refill.dat' using 3:4:5:xtic(1)

set output dir.'/e2e.png'
set title 'netdevsim pair: TCP throughput (median, min..max)'
set ylabel 'MB/s (emulated)'
plot dir.'/e2e.dat' using 2:3:4:xtic(1)

if (system('test -s '.dir.'/e2e.e1000e.dat && echo 1') eq "1") {
	set output dir.'/e2e.e1000e.png'
	set title 'e1000e pair (QEMU 82574L): TCP throughput (median, min..max)'
	plot dir.'/e2e.e1000e.dat' using 2:3:4:xtic(1)
}
