"""Generation 7: one against two whole jobs of carry-over (pool_carry_jobs) at a small scale (ODD 2.10).

Runs the calibrated default world to 2025 at the given scales, seeds and carry-overs, and prints per
(scale, carry) the mean and standard error of: cases against actors 2014-19, priorities 2014-19,
central actors (mean of year ends) 2019-21 and 2022-25, and central actors at the end of 2022.
Compare with the national runs of docs/validation.md section 6 (same seeds 1-6).

    python docs/experiments/carry_scale.py 0.1 6 1,2 out.csv
"""
from concurrent.futures import ProcessPoolExecutor
from sim.config import load_config
from sim.model import AkrimModel
def one(args):
    scale, seed, carry = args
    ov=[f"scale={scale}", "end=2025", f"seed={seed}", "output.progress=false", "output.events=false", f"pool_carry_jobs={carry}"]
    a=AkrimModel(load_config(ov)).run().annual
    return dict(scale=scale, seed=seed, carry=carry,
                cases1419=a.set_index('year').loc[2014:2019,'cases_against_ta'].sum(),
                prio1419=a.set_index('year').loc[2014:2019,'actors_prioritised'].sum() if 'actors_prioritised' in a else np.nan,
                c1921=a.set_index('year').loc[2019:2021,'central_threat_actors'].mean(),
                c2225=a.set_index('year').loc[2022:2025,'central_threat_actors'].mean(),
                c2022=a.set_index('year').loc[2022,'central_threat_actors'])
if __name__=='__main__':
    scales=[float(x) for x in sys.argv[1].split(',')]; seeds=range(1,int(sys.argv[2])+1); carries=[float(x) for x in sys.argv[3].split(',')]
    jobs=[(sc,s,c) for sc in scales for s in seeds for c in carries]
    with ProcessPoolExecutor(1) as ex: rows=list(ex.map(one, jobs))
    df=pd.DataFrame(rows); df.to_csv(sys.argv[4], index=False)
    print(df.groupby(['scale','carry']).agg(['mean','sem']).round(1).drop(columns='seed').to_string())
