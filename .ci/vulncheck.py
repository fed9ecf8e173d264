# Reads govulncheck -format json output (a stream of JSON objects) and lists
# the reachable findings: fails on any in a required module, reports the
# standard-library ones (fixed by a newer Go release, not by this project).
import json,sys
dec=json.JSONDecoder()
s=open(sys.argv[1]).read()
i=0; objs=[]
while i<len(s):
    while i<len(s) and s[i].isspace(): i+=1
    if i>=len(s): break
    o,j=dec.raw_decode(s,i); objs.append(o); i=j
if not any('config' in o for o in objs) or not any('progress' in o for o in objs):
    print("govulncheck produced no report", file=sys.stderr)
    sys.exit(2)
osv={o['osv']['id']:o['osv'] for o in objs if 'osv' in o}
reach={}
for o in objs:
    f=o.get('finding')
    if not f: continue
    tr=f.get('trace',[])
    if tr and tr[0].get('function'):  # called
        mod=tr[0].get('module')
        reach.setdefault(f['osv'],(mod,f.get('fixed_version','')))
bad=0
for k,(mod,fix) in sorted(reach.items()):
    summ=osv.get(k,{}).get('summary','')
    print(f"{k}\t{mod}\t{fix}\t{summ}")
    if mod!='stdlib': bad+=1
print("module findings:",bad, file=sys.stderr)
sys.exit(1 if bad else 0)
